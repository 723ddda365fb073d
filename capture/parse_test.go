package capture

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/internal/testlab"
	"golang.org/x/net/bpf"
)

func TestParseDDD(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []bpf.RawInstruction
		wantErr  bool
	}{
		{"tcpdump output", "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n", []bpf.RawInstruction{
			{Op: 40, K: 12}, {Op: 21, Jf: 1, K: 2048}, {Op: 6, K: 262144}, {Op: 6},
		}, false},
		{"comments and blanks", "# udp\n\n1\n6 0 0 65535\n", []bpf.RawInstruction{{Op: 6, K: 65535}}, false},
		{"count mismatch", "2\n6 0 0 0\n", nil, true},
		{"bad field", "1\n6 0 x 0\n", nil, true},
		{"jt too big", "1\n21 256 0 0\n", nil, true},
		{"empty", "", nil, true},
		{"zero count", "0\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDDD(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseDDDTcpdump parses what the real tcpdump prints.
func TestParseDDDTcpdump(t *testing.T) {
	testlab.RequireTool(t, "tcpdump")
	out, err := exec.Command("tcpdump", "-ddd", "-y", "EN10MB", "udp port 53").Output()
	if err != nil {
		t.Fatalf("tcpdump -ddd: %v", err)
	}
	prog, err := ParseDDD(string(out))
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(disassemble(prog))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := vm.Run(make([]byte, 60)); n != 0 {
		t.Errorf("zero frame accepted")
	}
}

func disassemble(p []bpf.RawInstruction) []bpf.Instruction {
	out := make([]bpf.Instruction, len(p))
	for i, r := range p {
		out[i] = r.Disassemble()
	}
	return out
}

func FuzzParseDDD(f *testing.F) {
	seeds, _ := os.ReadDir("testdata/fuzz/FuzzParseDDD")
	if len(seeds) == 0 {
		f.Add("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n")
	}
	f.Fuzz(func(t *testing.T, s string) {
		prog, err := ParseDDD(s)
		if err != nil && prog != nil {
			t.Fatal("error with a result")
		}
		if err == nil && (len(prog) == 0 || len(prog) > 4096) {
			t.Fatalf("accepted %d instructions", len(prog))
		}
	})
}

func TestStrftime(t *testing.T) {
	ts := time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC)
	for _, tc := range []struct{ in, want string }{
		{"cap-%Y%m%d-%H%M%S.pcap", "cap-20240305-070809.pcap"},
		{"%F_%T", "2024-03-05_07:08:09"},
		{"%s", "1709622489"},
		{"%e|%j|%a %b|%p|%I|%y|%%|%Q|%", " 5|065|Tue Mar|AM|07|24|%|%Q|%"},
		{"plain", "plain"},
	} {
		if got := Strftime(tc.in, ts); got != tc.want {
			t.Errorf("Strftime(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzStrftime(f *testing.F) {
	f.Add("cap-%Y%m%d-%H%M%S.pcap")
	f.Add("%F%T%z%Z%%%")
	f.Fuzz(func(t *testing.T, s string) {
		out := Strftime(s, time.Unix(1709622489, 0).UTC())
		if len(s) > 0 && len(out) == 0 {
			t.Fatalf("%q formatted to nothing", s)
		}
	})
}
