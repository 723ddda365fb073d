package nsutil_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// threadNetNS returns the ID of the calling thread's netns.
func threadNetNS() (nsutil.ID, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		return nsutil.ID{}, err
	}
	return nsutil.ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, nil
}

// foreignThreads lists the threads of this process whose netns is not want,
// as "TID: dev:ino".
func foreignThreads(t *testing.T, want nsutil.ID) []string {
	t.Helper()
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, d := range tids {
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join("/proc/self/task", d.Name(), "ns", "net"), &st); err != nil {
			continue // thread exited meanwhile
		}
		if got := (nsutil.ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}); got != want {
			bad = append(bad, d.Name()+": "+got.String())
		}
	}
	if len(tids) < 2 {
		t.Fatalf("only %d threads in /proc/self/task: the check would prove nothing", len(tids))
	}
	return bad
}

func TestDoRunsInside(t *testing.T) {
	name := testlab.NewNetNS(t)
	ns := mustOpen(t, testlab.NetNSPath(name))
	self := mustOpen(t, "/proc/self/ns/net")

	var inside nsutil.ID
	errFn := errors.New("fn error")
	err := ns.Do(func() error {
		var err error
		inside, err = threadNetNS()
		if err != nil {
			return err
		}
		return errFn
	})
	if !errors.Is(err, errFn) {
		t.Fatalf("Do = %v, want the error fn returned", err)
	}
	if inside != ns.ID() {
		t.Errorf("thread netns inside Do = %v, want %v", inside, ns.ID())
	}
	if bad := foreignThreads(t, self.ID()); len(bad) > 0 {
		t.Errorf("threads left in a foreign netns: %v", bad)
	}
}

func TestDoClosedHandle(t *testing.T) {
	name := testlab.NewNetNS(t)
	ns, err := nsutil.Open(testlab.NetNSPath(name))
	if err != nil {
		t.Fatal(err)
	}
	ns.Close()
	ran := false
	if err := ns.Do(func() error { ran = true; return nil }); err == nil {
		t.Errorf("Do on a closed handle succeeded")
	}
	if ran {
		t.Errorf("fn ran although entering the netns failed")
	}
}

func TestDoPanic(t *testing.T) {
	name := testlab.NewNetNS(t)
	ns := mustOpen(t, testlab.NetNSPath(name))
	self := mustOpen(t, "/proc/self/ns/net")

	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the panic value of fn", v)
			}
		}()
		ns.Do(func() error { panic("boom") })
		t.Errorf("Do returned after fn panicked")
	}()
	if bad := foreignThreads(t, self.ID()); len(bad) > 0 {
		t.Errorf("threads left in a foreign netns after a panic: %v", bad)
	}
}

func TestDoGoexit(t *testing.T) {
	name := testlab.NewNetNS(t)
	ns := mustOpen(t, testlab.NetNSPath(name))
	self := mustOpen(t, "/proc/self/ns/net")

	returned := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		ns.Do(func() error { runtime.Goexit(); return nil })
		returned = true
	}()
	<-done
	if returned {
		t.Errorf("Do returned normally after fn called runtime.Goexit")
	}
	if bad := foreignThreads(t, self.ID()); len(bad) > 0 {
		t.Errorf("threads left in a foreign netns after Goexit: %v", bad)
	}
}

// TestDoStress enters and leaves several namespaces thousands of times from
// many goroutines, checks each entry landed in the right netns, then proves
// no thread of the process was left in a foreign netns.
func TestDoStress(t *testing.T) {
	const (
		namespaces = 4
		goroutines = 64
		calls      = 5000
	)
	self := mustOpen(t, "/proc/self/ns/net")
	var nss []*nsutil.NetNS
	for range namespaces {
		nss = append(nss, mustOpen(t, testlab.NetNSPath(testlab.NewNetNS(t))))
	}

	var next, wrong, failed atomic.Int64
	var firstErr sync.Once
	var errMsg string
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= calls {
					return
				}
				ns := nss[i%namespaces]
				err := ns.Do(func() error {
					got, err := threadNetNS()
					if err != nil {
						return err
					}
					if got != ns.ID() {
						wrong.Add(1)
					}
					return nil
				})
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { errMsg = err.Error() })
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d Do calls failed, first: %s", n, calls, errMsg)
	}
	if n := wrong.Load(); n > 0 {
		t.Errorf("%d of %d Do calls ran fn in the wrong netns", n, calls)
	}
	if bad := foreignThreads(t, self.ID()); len(bad) > 0 {
		t.Errorf("after %d Do calls, threads left in a foreign netns (want %v): %v", calls, self.ID(), bad)
	}
}

// TestDoRestoreFailure makes the switch back fail for real: fn drops
// CAP_SYS_ADMIN from its thread's effective set (capabilities are per thread),
// so setns back to the original netns gets EPERM. Do must report it and leave
// the thread locked, so the runtime terminates it rather than reuse it in the
// pod's netns without CAP_SYS_ADMIN.
func TestDoRestoreFailure(t *testing.T) {
	name := testlab.NewNetNS(t)
	ns := mustOpen(t, testlab.NetNSPath(name))
	self := mustOpen(t, "/proc/self/ns/net")

	errMainThread := errors.New("on the main thread")
	var tid int
	var err error
	for range 1000 {
		// The test goroutine often runs on the main thread and Do's goroutine
		// would then run there too; locking the caller moves Do elsewhere.
		runtime.LockOSThread()
		err = ns.Do(func() error {
			tid = unix.Gettid()
			// The runtime wedges rather than exits a locked main thread;
			// dropping its capability would harm the rest of the tests.
			if tid == unix.Getpid() {
				return errMainThread
			}
			return dropEffectiveCap(unix.CAP_SYS_ADMIN)
		})
		runtime.UnlockOSThread()
		if !errors.Is(err, errMainThread) {
			break
		}
	}
	if !errors.Is(err, nsutil.ErrRestore) {
		t.Fatalf("Do = %v, want ErrRestore", err)
	}
	if !errors.Is(err, nsutil.ErrPermission) || !strings.Contains(err.Error(), "needs CAP_SYS_ADMIN: run as root") {
		t.Errorf("Do = %v, want advice about CAP_SYS_ADMIN", err)
	}

	// The runtime exits the thread after the locked goroutine ends; wait for it (bounded).
	task := fmt.Sprintf("/proc/self/task/%d", tid)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(task); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d still exists 30s after its restore failed: it was not discarded", tid)
		}
	}
	if bad := foreignThreads(t, self.ID()); len(bad) > 0 {
		t.Errorf("threads left in a foreign netns: %v", bad)
	}
	// And every remaining thread still has CAP_SYS_ADMIN: the crippled one is gone.
	if bad := threadsWithoutCap(t, unix.CAP_SYS_ADMIN); len(bad) > 0 {
		t.Errorf("threads without CAP_SYS_ADMIN left behind: %v", bad)
	}
	if err := self.Do(func() error { return nil }); err != nil {
		t.Errorf("Do after the failed restore: %v", err)
	}
}

// threadsWithoutCap lists the TIDs whose CapEff (proc(5) status) lacks c.
func threadsWithoutCap(t *testing.T, c int) []string {
	t.Helper()
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, d := range tids {
		b, err := os.ReadFile(filepath.Join("/proc/self/task", d.Name(), "status"))
		if err != nil {
			continue // exited meanwhile
		}
		for _, line := range strings.Split(string(b), "\n") {
			hex, ok := strings.CutPrefix(line, "CapEff:")
			if !ok {
				continue
			}
			v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				t.Fatalf("parse %q: %v", line, err)
			}
			if v&(1<<c) == 0 {
				bad = append(bad, d.Name())
			}
		}
	}
	return bad
}

func dropEffectiveCap(c int) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[c/32].Effective &^= 1 << (c % 32)
	return unix.Capset(&hdr, &data[0])
}

func BenchmarkDo(b *testing.B) {
	ns, err := nsutil.Open(testlab.NetNSPath(testlab.NewNetNS(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	for b.Loop() {
		if err := ns.Do(func() error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList(b *testing.B) {
	for b.Loop() {
		if _, err := nsutil.List("/proc", "/var/run/netns"); err != nil {
			b.Fatal(err)
		}
	}
}
