package decode

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
)

// flagSet pairs tcpdump flags with the Options that must print the same.
type flagSet struct {
	name string
	args []string
	opts Options
}

var nn = Options{NumericHosts: true, NumericPorts: true}

func with(o Options, f func(*Options)) Options { f(&o); return o }

var flagSets = []flagSet{
	{"nn", []string{"-nn"}, nn},
	{"nn-t", []string{"-nn", "-t"}, with(nn, func(o *Options) { o.TimeFormat = TimeNone })},
	{"nn-tt", []string{"-nn", "-tt"}, with(nn, func(o *Options) { o.TimeFormat = TimeEpoch })},
	{"nn-ttt", []string{"-nn", "-ttt"}, with(nn, func(o *Options) { o.TimeFormat = TimeDelta })},
	{"nn-tttt", []string{"-nn", "-tttt"}, with(nn, func(o *Options) { o.TimeFormat = TimeDate })},
	{"nn-ttttt", []string{"-nn", "-ttttt"}, with(nn, func(o *Options) { o.TimeFormat = TimeSinceFirst })},
	{"nn-nano", []string{"-nn", "--time-stamp-precision=nano"}, with(nn, func(o *Options) { o.Nanosecond = true })},
	{"nn-v", []string{"-nn", "-v"}, with(nn, func(o *Options) { o.Verbose = 1 })},
	{"nn-vv", []string{"-nn", "-vv"}, with(nn, func(o *Options) { o.Verbose = 2 })},
	{"nn-e", []string{"-nn", "-e"}, with(nn, func(o *Options) { o.LinkHeader = true })},
	{"nn-x", []string{"-nn", "-x"}, with(nn, func(o *Options) { o.Hex = 1 })},
	{"nn-xx", []string{"-nn", "-xx"}, with(nn, func(o *Options) { o.Hex = 2 })},
	{"nn-X", []string{"-nn", "-X"}, with(nn, func(o *Options) { o.ASCII = 1 })},
	{"nn-XX", []string{"-nn", "-XX"}, with(nn, func(o *Options) { o.ASCII = 2 })},
	{"nn-vvv", []string{"-nn", "-vvv"}, with(nn, func(o *Options) { o.Verbose = 3 })},
	{"nn-Xvvv", []string{"-nn", "-X", "-vvv"}, with(nn, func(o *Options) { o.ASCII = 1; o.Verbose = 3 })},
	{"nn-ev", []string{"-nn", "-e", "-v"}, with(nn, func(o *Options) { o.LinkHeader = true; o.Verbose = 1 })},
	{"nn-A", []string{"-nn", "-A"}, with(nn, func(o *Options) { o.Text = 1 })},
	{"nn-AA", []string{"-nn", "-AA"}, with(nn, func(o *Options) { o.Text = 2 })},
	{"nn-S", []string{"-nn", "-S"}, with(nn, func(o *Options) { o.AbsoluteSeq = true })},
	{"nn-#", []string{"-nn", "-#"}, with(nn, func(o *Options) { o.Number = true })},
	{"nn-q", []string{"-nn", "-q"}, with(nn, func(o *Options) { o.Quiet = true })},
	{"nn-qv", []string{"-nn", "-q", "-v"}, with(nn, func(o *Options) { o.Quiet = true; o.Verbose = 1 })},
	{"n", []string{"-n"}, Options{NumericHosts: true}},
	// Without -n tcpdump looks names up; the lab's 198.18.0.0/15 and
	// link-local addresses have none, and netdiag never resolves. Only the
	// lab captures use these: other addresses can make tcpdump wait for DNS.
	{"plain", nil, Options{}},
	{"plain-e", []string{"-e"}, Options{LinkHeader: true}},
}

// tcpdumpLines runs the oracle: `tcpdump FLAGS -r FILE` with TZ=UTC.
func tcpdumpLines(t *testing.T, file string, args []string) []string {
	t.Helper()
	cmd := exec.Command("tcpdump", append(append([]string{}, args...), "-r", file)...)
	// Without -n tcpdump asks DNS for names the lab's addresses do not have;
	// keep a slow resolver from stalling the test.
	cmd.Env = append(os.Environ(), "TZ=UTC", "RES_OPTIONS=timeout:1 attempts:1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// A truncated file makes tcpdump exit 1 after printing what it read.
		if !strings.Contains(stderr.String(), "truncated") {
			t.Fatalf("tcpdump %v -r %s: %v\n%s", args, file, err, stderr.String())
		}
	}
	return splitLines(stdout.String())
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// netdiagLines prints a capture file with this package.
func netdiagLines(t testing.TB, file string, opts Options) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	opts.Location = time.UTC
	var out bytes.Buffer
	pr := NewPrinter(&out, r.LinkType(), opts)
	for {
		pkt, err := r.Next()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		if err := pr.Print(pkt); err != nil {
			t.Fatal(err)
		}
	}
	if err := pr.Flush(); err != nil {
		t.Fatal(err)
	}
	return splitLines(out.String())
}

// compareFile checks every flag set on one capture file against tcpdump.
func compareFile(t *testing.T, file string) {
	t.Helper()
	lab := strings.HasPrefix(filepath.Base(file), "lab-")
	only := os.Getenv("NETDIAG_COMPARE_FLAGS") // a development aid: "nn-q,nn-v"
	for _, fs := range flagSets {
		if strings.HasPrefix(fs.name, "plain") && !lab {
			continue
		}
		if only != "" && !slices.Contains(strings.Split(only, ","), fs.name) {
			continue
		}
		t.Run(fs.name, func(t *testing.T) {
			want := tcpdumpLines(t, file, fs.args)
			got := netdiagLines(t, file, fs.opts)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tcpdump %s -r %s differs (-want +got):\n%s", strings.Join(fs.args, " "), filepath.Base(file), diff)
			}
		})
	}
}

// TestCompareTcpdump prints every capture in testdata and every synthesized
// capture with each flag set and requires tcpdump's output line for line.
func TestCompareTcpdump(t *testing.T) {
	testlab.RequireTool(t, "tcpdump")
	files, err := filepath.Glob("testdata/*.pcap*")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, s := range allSynth() {
		path := filepath.Join(dir, s.name+".pcap")
		writeSynth(t, path, s)
		files = append(files, path)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)), func(t *testing.T) {
			t.Parallel()
			compareFile(t, file)
		})
	}
}
