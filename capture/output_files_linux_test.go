package capture

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/capture/pcapio"
)

var ethIface = []pcapio.Interface{{LinkType: pcapio.LinkTypeEthernet, SnapLen: 262144}}

func writeN(t *testing.T, o *Output, n, size int) error {
	t.Helper()
	data := make([]byte, size)
	for i := 0; i < n; i++ {
		pi := PacketInfo{Timestamp: time.Unix(1700000000, int64(i)*1000), CaptureLen: size, Length: size}
		if err := o.Write(&pi, data); err != nil {
			return err
		}
	}
	return nil
}

func dirSizes(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = fi.Size()
	}
	return m
}

// Sizes follow tcpdump: the check is "file larger than -C" before each
// packet, so a file ends with the first packet that takes it past -C.
func TestOutputRotateBySize(t *testing.T) {
	// 24-byte header + 16-byte record header + 984 bytes = 1000 per packet.
	const rec = 1000
	for _, tc := range []struct {
		name  string
		files int
		want  map[string]int64
	}{
		// 10 packets, -C 3000 bytes: a file holds 3 packets (24+3000 > 3000
		// only after the third).
		{"no -W", 0, map[string]int64{"c.pcap": 3024, "c.pcap1": 3024, "c.pcap2": 3024, "c.pcap3": 1024}},
		// -W 2: names c.pcap0 and c.pcap1 reused as a ring.
		{"-W 2", 2, map[string]int64{"c.pcap0": 3024, "c.pcap1": 1024}},
		// -W 11: two digits.
		{"-W 11", 11, map[string]int64{"c.pcap00": 3024, "c.pcap01": 3024, "c.pcap02": 3024, "c.pcap03": 1024}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o, err := NewOutput(FileConfig{Path: filepath.Join(dir, "c.pcap"), Interfaces: ethIface, RotateSize: 3000, Files: tc.files})
			if err != nil {
				t.Fatal(err)
			}
			if err := writeN(t, o, 10, rec-16); err != nil {
				t.Fatal(err)
			}
			if err := o.Close(nil, time.Time{}, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, dirSizes(t, dir)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			for name := range tc.want {
				_, pkts := readAll(t, filepath.Join(dir, name))
				if len(pkts) == 0 {
					t.Errorf("%s: no packets", name)
				}
			}
		})
	}
}

func TestOutputRotateByTime(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2024, 3, 5, 7, 8, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	o, err := NewOutput(FileConfig{Path: filepath.Join(dir, "c-%H%M%S.pcap"), Interfaces: ethIface, RotateEvery: 10 * time.Second, Files: 3, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	var stopped error
	for i := 0; i < 8 && stopped == nil; i++ {
		stopped = writeN(t, o, 2, 100)
		now = now.Add(6 * time.Second)
	}
	if !errors.Is(stopped, ErrFileLimitReached) {
		t.Fatalf("got %v, want %v", stopped, ErrFileLimitReached)
	}
	o.Close(nil, time.Time{}, time.Time{})
	var names []string
	for n := range dirSizes(t, dir) {
		names = append(names, n)
	}
	sort.Strings(names)
	// Rotation happens on the first packet at least 10 s after the file
	// opened: 07:08:00, 07:08:12, 07:08:24; the packet at 07:08:36 ends it.
	if diff := cmp.Diff([]string{"c-070800.pcap", "c-070812.pcap", "c-070824.pcap"}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestCreateFileSafety(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.pcap")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateFile(link); err == nil {
		t.Error("wrote through a symlink")
	}
	hard := filepath.Join(dir, "hard.pcap")
	if err := os.Link(target, hard); err != nil {
		t.Fatal(err)
	}
	f, err := CreateFile(hard)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	f.Close()
	if b, _ := os.ReadFile(target); string(b) != "precious" {
		t.Errorf("hard-linked file changed to %q", b)
	}
	fi, _ := os.Stat(hard)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := CreateFile(dir); err == nil {
		t.Error("created over a directory")
	}
	f, err = CreateFile(os.DevNull)
	if err != nil {
		t.Errorf("/dev/null: %v", err)
	} else {
		f.Close()
	}
}

func TestOutputMinFree(t *testing.T) {
	_, err := NewOutput(FileConfig{Path: filepath.Join(t.TempDir(), "c.pcap"), Interfaces: ethIface, MinFree: 1 << 62})
	if !errors.Is(err, ErrLowDiskSpace) {
		t.Errorf("got %v, want %v", err, ErrLowDiskSpace)
	}
}

func BenchmarkOutputWrite(b *testing.B) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	o, err := NewOutput(FileConfig{Path: "-", Stdout: f, Interfaces: ethIface})
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 64)
	pi := PacketInfo{Timestamp: time.Unix(1700000000, 123456789), CaptureLen: 64, Length: 64}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := o.Write(&pi, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time in ns: wall time is
// meaningless on a shared machine.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
