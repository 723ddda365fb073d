package nsutil

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// doResult carries the outcome of fn from the locked goroutine to the caller.
type doResult struct {
	err      error
	panicked bool
	value    any
	goexit   bool
}

// Do runs fn on a fresh goroutine whose OS thread is locked and switched into
// n, then switches the thread back. This is the only place netdiag calls
// setns(2), which changes the calling thread only.
//
// If switching back fails, Do returns an error wrapping ErrRestore and leaves
// the thread locked: the goroutine then exits and the Go runtime terminates
// the thread instead of reusing it in the wrong netns (the main thread is
// parked forever instead, equally never reused).
//
// Goroutines started by fn do not run in n. A panic in fn is re-raised in the
// caller after the thread has been restored; runtime.Goexit in fn (t.FailNow)
// makes the caller exit the same way. Prefer Socket: a socket
// stays in the netns it was created in and can then be used from anywhere.
func (n *NetNS) Do(fn func() error) error {
	done := make(chan doResult, 1)
	go func() {
		var res doResult
		defer func() { done <- res }()
		runtime.LockOSThread()
		// The thread's own netns, not the process's: that is what must be restored.
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			res.err = fmt.Errorf("open current netns: %w", explain(err))
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(n.Fd(), unix.CLONE_NEWNET); err != nil {
			// A failed setns leaves the thread where it was.
			runtime.UnlockOSThread()
			res.err = fmt.Errorf("enter netns %s: %w", n.path, explain(err))
			return
		}
		defer func() {
			if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
				// Stay locked: the runtime discards a thread whose goroutine exits locked.
				res.err = errors.Join(res.err, fmt.Errorf("leave netns %s: %w: %w", n.path, ErrRestore, explain(err)))
				return
			}
			runtime.UnlockOSThread()
		}()
		// If fn calls runtime.Goexit, callFn never returns and goexit stays set.
		res.goexit = true
		res = callFn(fn)
	}()
	res := <-done
	switch {
	case res.panicked:
		panic(res.value)
	case res.goexit:
		runtime.Goexit()
	}
	return res.err
}

// callFn runs fn and turns a panic into a result.
func callFn(fn func() error) (res doResult) {
	defer func() {
		if v := recover(); v != nil {
			res = doResult{panicked: true, value: v}
		}
	}()
	return doResult{err: fn()}
}

// Socket creates a socket(2) inside n. The socket keeps that netns for its
// whole life and can be used from any goroutine; it is close-on-exec. The
// caller closes it with unix.Close (or wraps it in os.NewFile).
func (n *NetNS) Socket(domain, typ, proto int) (int, error) {
	fd := -1
	err := n.Do(func() error {
		var err error
		fd, err = unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
		return err
	})
	if err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return -1, fmt.Errorf("create socket in netns %s: needs CAP_NET_RAW or CAP_NET_ADMIN: run as root: %w", n.path, err)
		}
		return -1, fmt.Errorf("create socket in netns %s: %w", n.path, err)
	}
	return fd, nil
}
