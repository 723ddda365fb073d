package capture

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
	"golang.org/x/sys/unix"
)

// smallDiskEnv names the tmpfs mount point in the child of TestOutputSmallDisk.
const smallDiskEnv = "NETDIAG_TEST_SMALL_DISK"

// TestOutputSmallDisk writes captures onto a 2 MiB tmpfs mounted in a
// private mount namespace (the test binary runs itself in one; the mount
// goes away with it, the host's disks are never touched). Issue 18: the
// floor was checked only at open and every 16 MiB, so a small disk filled
// to 0 bytes, the last record was cut, the count included packets not in
// the file, and the error said "write X: write X: ...".
func TestOutputSmallDisk(t *testing.T) {
	testlab.RequireRoot(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutputSmallDiskChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), smallDiskEnv+"="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestOutputSmallDiskChild") {
		t.Fatalf("child in a private mount namespace: %v\n%s", err, out)
	}
}

func TestOutputSmallDiskChild(t *testing.T) {
	dir := os.Getenv(smallDiskEnv)
	if dir == "" {
		t.Skip("runs as the child of TestOutputSmallDisk")
	}
	// Go made / private in this namespace (Unshareflags): nothing propagates.
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=2m,mode=0700"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	for _, tc := range []struct {
		name    string
		pcapng  bool
		floor   uint64
		rotate  int64
		size    int
		flushes bool
	}{
		{name: "pcap floor 1M", floor: 1 << 20, size: 1000},
		{name: "pcapng floor 1M", pcapng: true, floor: 1 << 20, size: 1000},
		{name: "pcap floor 700K big packets", floor: 700 << 10, size: 9000},
		{name: "pcap -C ring floor 1M", floor: 1 << 20, size: 1000, rotate: 450 << 10},
		{name: "pcap disk full", size: 1000},
		{name: "pcapng disk full", pcapng: true, size: 777},
		{name: "pcapng disk full -U", pcapng: true, size: 1500, flushes: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := os.MkdirTemp(dir, "t")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(sub)
			path := filepath.Join(sub, "c.cap")
			o, err := NewOutput(FileConfig{Path: path, PcapNG: tc.pcapng, Interfaces: ethIface, MinFree: tc.floor,
				RotateSize: tc.rotate, Files: map[bool]int{true: 3}[tc.rotate > 0], FlushEach: tc.flushes})
			if err != nil {
				t.Fatal(err)
			}
			data := make([]byte, tc.size)
			var werr error
			for i := 0; i < 100000 && werr == nil; i++ {
				pi := PacketInfo{Timestamp: time.Unix(1700000000, int64(i)*1000), CaptureLen: tc.size, Length: tc.size}
				werr = o.Write(&pi, data)
			}
			if werr == nil {
				werr = o.Flush()
			}
			if werr == nil {
				t.Fatal("100000 packets written to a 2 MiB disk without an error")
			}
			if cerr := o.Close(nil, time.Time{}, time.Time{}); cerr != nil {
				t.Errorf("Close after the write error returned %v: the error is reported once", cerr)
			}
			msg := werr.Error()
			t.Logf("stopped: %s", msg)
			if tc.floor > 0 {
				if !errors.Is(werr, ErrLowDiskSpace) {
					t.Fatalf("error %v, want %v", werr, ErrLowDiskSpace)
				}
				free, err := FreeSpace(dir)
				if err != nil {
					t.Fatal(err)
				}
				if free < tc.floor {
					t.Errorf("%d bytes free, below the floor of %d", free, tc.floor)
				}
			} else {
				if !errors.Is(werr, syscall.ENOSPC) {
					t.Fatalf("error %v, want ENOSPC", werr)
				}
				if want := "write " + path; !strings.HasPrefix(msg, want) || strings.Count(msg, "write ") != 1 || strings.Count(msg, path) != 1 {
					t.Errorf("error %q: want one %q and the file named once", msg, want)
				}
			}
			// Every file ends on a whole record and holds what Packets says.
			var inFiles uint64
			seen := map[string]bool{}
			for _, name := range o.Files() {
				if seen[name] {
					continue
				}
				seen[name] = true
				inFiles += uint64(countPackets(t, name))
			}
			if tc.rotate == 0 && inFiles != o.Packets() {
				t.Errorf("the file holds %d packets, Packets says %d", inFiles, o.Packets())
			}
			if tc.rotate > 0 && (len(seen) < 2 || inFiles > o.Packets()) {
				t.Errorf("ring of %d files holds %d packets, Packets says %d", len(seen), inFiles, o.Packets())
			}
			if o.Packets() == 0 {
				t.Error("no packets written: the test proved nothing")
			}
		})
	}
}

// countPackets reads a capture file to its end and fails on anything but a
// clean end: a cut record is an error here.
func countPackets(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for {
		_, err := r.Next()
		if err != nil {
			if err.Error() == "EOF" {
				return n
			}
			t.Fatalf("%s after %d packets: %v", path, n, err)
		}
		n++
	}
}

// TestCreatePublished: the name appears only once the header is in the
// file; before that the old file (or nothing) is there. So a capture killed
// while rotating never leaves an empty file (issue 18: 4 of 20 rotated
// pcapng rings killed under load had one).
func TestCreatePublished(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "ring.pcap1")
	for round, old := range []string{"", "old capture"} {
		if old != "" {
			if err := os.WriteFile(name, []byte(old), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		f, err := createPublished(name, func(f *os.File) error {
			b, err := os.ReadFile(name)
			switch {
			case old == "" && !errors.Is(err, os.ErrNotExist):
				return fmt.Errorf("round %d: %s exists before its header is written (%v)", round, name, err)
			case old != "" && string(b) != old:
				return fmt.Errorf("round %d: %s holds %q before the new header is written, want the old file", round, name, b)
			}
			_, err = f.Write([]byte("header"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		b, err := os.ReadFile(name)
		if err != nil || string(b) != "header" {
			t.Fatalf("round %d: file holds %q (%v), want the header", round, b, err)
		}
		fi, _ := os.Stat(name)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
	}
	// A symlink is refused as by CreateFile.
	link := filepath.Join(dir, "link.pcap")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := createPublished(link, func(*os.File) error { return nil }); err == nil {
		t.Error("wrote through a symlink")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("directory holds %d entries, want the file and the link: no temporary files left", len(ents))
	}
}
