package nsutil_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

func findEntry(entries []nsutil.Entry, id nsutil.ID) *nsutil.Entry {
	for i := range entries {
		if entries[i].ID == id {
			return &entries[i]
		}
	}
	return nil
}

// checkSorted checks List's promise of a deterministic order and unique IDs.
func checkSorted(t *testing.T, entries []nsutil.Entry) {
	t.Helper()
	for i, e := range entries {
		if i > 0 {
			p := entries[i-1].ID
			if p.Dev > e.ID.Dev || p.Dev == e.ID.Dev && p.Ino >= e.ID.Ino {
				t.Errorf("entries %d and %d out of order or duplicate: %v, %v", i-1, i, p, e.ID)
			}
		}
		if !slices.IsSorted(e.Paths) || !slices.IsSorted(e.PIDs) {
			t.Errorf("entry %v: paths or PIDs not sorted: %v %v", e.ID, e.Paths, e.PIDs)
		}
	}
}

// TestListFakeProc runs List on a hand-made proc directory: its ns/net
// links point at this process's netns, like /proc's do.
func TestListFakeProc(t *testing.T) {
	proc := t.TempDir()
	for _, pid := range []string{"456", "123"} {
		if err := os.MkdirAll(filepath.Join(proc, pid, "ns"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/proc/self/ns/net", filepath.Join(proc, pid, "ns", "net")); err != nil {
			t.Fatal(err)
		}
	}
	// Not a process, and a process that exited (no ns left).
	for _, d := range []string{"sys", "789"} {
		if err := os.Mkdir(filepath.Join(proc, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := nsutil.List(proc, filepath.Join(proc, "no-such-dir"))
	if err != nil {
		t.Fatal(err)
	}
	want := []nsutil.Entry{{ID: statID(t, "/proc/self/ns/net"), PIDs: []int{123, 456}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}

	if _, err := nsutil.List(filepath.Join(proc, "missing")); err == nil {
		t.Errorf("List of a missing proc root succeeded")
	}
}

// TestListFIFOs: a FIFO where a bind directory or PID 1's mountinfo should
// be (an odd host root, a fake proc) must not hang List.
func TestListFIFOs(t *testing.T) {
	proc := t.TempDir()
	for _, d := range []string{"1", "self"} {
		if err := os.MkdirAll(filepath.Join(proc, d, "ns"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mkfifo(filepath.Join(proc, d, "mountinfo"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Different mount namespaces, so PID 1's mountinfo is read too.
	if err := os.Symlink("/proc/self/ns/mnt", filepath.Join(proc, "self", "ns", "mnt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/self/ns/net", filepath.Join(proc, "1", "ns", "mnt")); err != nil {
		t.Fatal(err)
	}
	bind := filepath.Join(t.TempDir(), "netns")
	if err := unix.Mkfifo(bind, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := nsutil.List(proc, bind)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("List: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("List still running after 10s")
	}
}

// TestListDenied drops the thread's CAP_SYS_PTRACE and DAC override so a
// process directory with mode 000 cannot be read, as for an unprivileged user:
// List must return what it found and say what is missing.
func TestListDenied(t *testing.T) {
	testlab.RequireRoot(t)
	proc := t.TempDir()
	for _, pid := range []string{"10", "20"} {
		if err := os.MkdirAll(filepath.Join(proc, pid, "ns"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/proc/self/ns/net", filepath.Join(proc, pid, "ns", "net")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(proc, "20"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(proc, "20"), 0o755) })

	type result struct {
		entries []nsutil.Entry
		err     error
	}
	var r result
	onDiscardedThread(t, func() {
		for _, c := range []int{unix.CAP_SYS_PTRACE, unix.CAP_DAC_OVERRIDE, unix.CAP_DAC_READ_SEARCH} {
			if err := dropEffectiveCap(c); err != nil {
				r.err = err
				return
			}
		}
		r.entries, r.err = nsutil.List(proc)
	})
	if !errors.Is(r.err, os.ErrPermission) {
		t.Fatalf("List without CAP_SYS_PTRACE = %v, want a permission error", r.err)
	}
	want := []nsutil.Entry{{ID: statID(t, "/proc/self/ns/net"), PIDs: []int{10}}}
	if diff := cmp.Diff(want, r.entries); diff != "" {
		t.Errorf("List's partial result (-want +got):\n%s", diff)
	}
}

func TestList(t *testing.T) {
	withPID, bound := testlab.NewNetNS(t), testlab.NewNetNS(t)
	pid := testlab.StartInNetNS(t, withPID, "sleep", "300")
	withPIDID := statID(t, testlab.NetNSPath(withPID))
	boundID := statID(t, testlab.NetNSPath(bound))

	// A containerd-style state-dir netns file: a bind mount in a directory
	// that is neither /run/netns nor passed to List as a bind directory.
	stateDir := filepath.Join(t.TempDir(), "io.containerd.grpc.v1.cri", "netns")
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cni := filepath.Join(stateDir, "cni-2c1cbd62-5f4f-4c51-8e3c-1d0b4f0c6e1a")
	if err := os.WriteFile(cni, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	// A plain file next to it must be ignored.
	if err := os.WriteFile(filepath.Join(stateDir, "not-a-netns"), nil, 0o444); err != nil {
		t.Fatal(err)
	}
	testlab.RequireTool(t, "mount", "umount")
	testlab.Run(t, "mount", "--bind", testlab.NetNSPath(bound), cni)
	t.Cleanup(func() { testlab.Run(t, "umount", cni) })

	self := statID(t, "/proc/self/ns/net")
	for _, tc := range []struct {
		name     string
		bindDirs []string
	}{
		{"bind dirs", []string{"/var/run/netns", stateDir}},
		{"mountinfo only", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entries, err := nsutil.List("/proc", tc.bindDirs...)
			if err != nil {
				t.Fatal(err)
			}
			checkSorted(t, entries)

			e := findEntry(entries, withPIDID)
			if e == nil {
				t.Fatalf("netns %s (%v) with process %d not listed", withPID, withPIDID, pid)
			}
			want := nsutil.Entry{ID: withPIDID, Paths: []string{"/run/netns/" + withPID}, PIDs: []int{pid}}
			if diff := cmp.Diff(want, *e); diff != "" {
				t.Errorf("entry of %s (-want +got):\n%s", withPID, diff)
			}

			e = findEntry(entries, boundID)
			if e == nil {
				t.Fatalf("netns %s (%v) not listed", bound, boundID)
			}
			want = nsutil.Entry{ID: boundID, Paths: sortedCopy([]string{"/run/netns/" + bound, cni})}
			if diff := cmp.Diff(want, *e); diff != "" {
				t.Errorf("entry of %s (-want +got):\n%s", bound, diff)
			}

			e = findEntry(entries, self)
			if e == nil || !slices.Contains(e.PIDs, os.Getpid()) {
				t.Errorf("the test process's netns %v does not list its PID %d: %+v", self, os.Getpid(), e)
			}
		})
	}

	// Every listed path opens to the namespace List said.
	entries, err := nsutil.List("/proc", "/var/run/netns", stateDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		for _, p := range e.Paths {
			ns, err := nsutil.Open(p)
			if err != nil {
				// A namespace of someone else's test may be deleted meanwhile.
				if errors.Is(err, nsutil.ErrNotFound) || errors.Is(err, nsutil.ErrNotNetNS) {
					continue
				}
				t.Errorf("Open(%s): %v", p, err)
				continue
			}
			if ns.ID() != e.ID {
				t.Errorf("Open(%s).ID() = %v, List said %v", p, ns.ID(), e.ID)
			}
			ns.Close()
		}
	}
}

// onDiscardedThread runs fn on a locked thread other than the main one and
// never unlocks it, so the runtime terminates the thread afterwards: fn may
// damage the thread (drop capabilities). The main thread is avoided because
// the runtime wedges rather than terminates it.
func onDiscardedThread(t *testing.T, fn func()) {
	t.Helper()
	for range 1000 {
		ran := make(chan bool)
		// Locking the caller keeps the goroutine below off the caller's thread.
		runtime.LockOSThread()
		go func() {
			runtime.LockOSThread()
			if unix.Gettid() == unix.Getpid() {
				runtime.UnlockOSThread()
				ran <- false
				return
			}
			fn()
			ran <- true
		}()
		ok := <-ran
		runtime.UnlockOSThread()
		if ok {
			return
		}
	}
	t.Fatal("could not get a goroutine off the main thread in 1000 tries")
}

// TestListOtherMountNS covers netdiag running in a pod (kubectl debug node):
// when PID 1 is in another mount namespace, its netns bind mounts are found
// through PROCROOT/1/mountinfo and opened through PROCROOT/1/root. The proc
// root is hand-made: 1/root is a directory holding a real netns bind mount,
// and self/ns/mnt and 1/ns/mnt point at different namespaces.
func TestListOtherMountNS(t *testing.T) {
	name := testlab.NewNetNS(t)
	id := statID(t, testlab.NetNSPath(name))
	testlab.RequireTool(t, "mount", "umount")

	proc := t.TempDir()
	root := filepath.Join(proc, "1", "root")
	for _, d := range []string{filepath.Join(root, "run", "netns"), filepath.Join(proc, "1", "ns"), filepath.Join(proc, "self", "ns")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(root, "run", "netns", "pod1")
	if err := os.WriteFile(target, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	testlab.Run(t, "mount", "--bind", testlab.NetNSPath(name), target)
	t.Cleanup(func() { testlab.Run(t, "umount", target) })

	// Different inodes stand in for different mount namespaces.
	if err := os.Symlink("/proc/self/ns/mnt", filepath.Join(proc, "self", "ns", "mnt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/self/ns/uts", filepath.Join(proc, "1", "ns", "mnt")); err != nil {
		t.Fatal(err)
	}
	mountinfo := "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n" +
		"91 27 0:4 net:[" + strconv.FormatUint(id.Ino, 10) + "] /run/netns/pod1 rw shared:5 - nsfs nsfs rw\n" +
		// Hidden or gone: must not be listed.
		"92 27 0:4 net:[123] /run/netns/gone rw shared:6 - nsfs nsfs rw\n"
	if err := os.WriteFile(filepath.Join(proc, "1", "mountinfo"), []byte(mountinfo), 0o444); err != nil {
		t.Fatal(err)
	}

	got, err := nsutil.List(proc)
	if err != nil {
		t.Fatal(err)
	}
	want := []nsutil.Entry{{ID: id, Paths: []string{target}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}
