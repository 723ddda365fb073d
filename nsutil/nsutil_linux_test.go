package nsutil_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// statID is the ID of path as the kernel reports it, independent of nsutil.
func statID(t *testing.T, path string) nsutil.ID {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return nsutil.ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}
}

func mustOpen(t *testing.T, path string) *nsutil.NetNS {
	t.Helper()
	ns, err := nsutil.Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

func TestIDString(t *testing.T) {
	if got, want := (nsutil.ID{Dev: 4, Ino: 4026531840}).String(), "4:4026531840"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestSelf(t *testing.T) {
	ns, err := nsutil.Self()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if diff := cmp.Diff(statID(t, "/proc/self/ns/net"), ns.ID()); diff != "" {
		t.Errorf("Self().ID() (-want +got):\n%s", diff)
	}
	if ns.Path() != "/proc/thread-self/ns/net" {
		t.Errorf("Path() = %q", ns.Path())
	}
	if ns.Fd() < 0 {
		t.Errorf("Fd() = %d", ns.Fd())
	}
	if err := ns.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		want error
	}{
		{"fifo (must not block)", fifo, nsutil.ErrNotNetNS},
		{"missing", filepath.Join(dir, "nope"), nsutil.ErrNotFound},
		{"regular file", regular, nsutil.ErrNotNetNS},
		{"directory", dir, nsutil.ErrNotNetNS},
		{"mount namespace", "/proc/self/ns/mnt", nsutil.ErrNotNetNS},
		{"user namespace", "/proc/self/ns/user", nsutil.ErrNotNetNS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, err := nsutil.Open(tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open(%s) = %v, want %v", tc.path, err, tc.want)
			}
			if ns != nil {
				t.Errorf("Open returned a handle with an error")
			}
		})
	}
	if _, err := nsutil.OpenPID(0); err == nil {
		t.Errorf("OpenPID(0) succeeded")
	}
	// PID 2^22+1 is above the kernel's pid_max limit, so it never exists.
	if _, err := nsutil.OpenPID(1<<22 + 1); !errors.Is(err, nsutil.ErrNotFound) {
		t.Errorf("OpenPID(nonexistent) = %v, want ErrNotFound", err)
	}
}

func TestOpenByPathAndPID(t *testing.T) {
	name := testlab.NewNetNS(t)
	pid := testlab.StartInNetNS(t, name, "sleep", "300")

	byPath := mustOpen(t, testlab.NetNSPath(name))
	byPID, err := nsutil.OpenPID(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer byPID.Close()
	self := mustOpen(t, "/proc/self/ns/net")

	if diff := cmp.Diff(statID(t, testlab.NetNSPath(name)), byPath.ID()); diff != "" {
		t.Errorf("Open(path).ID() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(byPath.ID(), byPID.ID()); diff != "" {
		t.Errorf("OpenPID(%d).ID() vs Open(path).ID() (-want +got):\n%s", pid, diff)
	}
	if byPath.ID() == self.ID() {
		t.Errorf("test netns has the same ID as the test process's netns: %v", self.ID())
	}
	if got, want := byPID.Path(), "/proc/"+strconv.Itoa(pid)+"/ns/net"; got != want {
		t.Errorf("OpenPID Path() = %q, want %q", got, want)
	}
}

// TestOpenKeepsNamespace shows a handle keeps its netns usable after the bind
// mount is gone, and that the ID stays the same.
func TestOpenKeepsNamespace(t *testing.T) {
	name := testlab.NewNetNS(t)
	ns := mustOpen(t, testlab.NetNSPath(name))
	id := ns.ID()
	testlab.Run(t, "ip", "netns", "del", name)
	err := ns.Do(func() error {
		if diff := cmp.Diff(id, statID(t, "/proc/thread-self/ns/net")); diff != "" {
			t.Errorf("netns inside Do after delete (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
