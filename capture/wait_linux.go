package capture

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// waiter blocks until a ring or the stop eventfd is readable. The rings
// and the eventfd sit in an epoll set of their own, and the Go runtime's
// netpoller watches that set: the loop's goroutine parks instead of
// holding a thread in poll(2). A thread blocked in poll makes the runtime
// hand its P to another thread and take it back after each wait, and at a
// sender's full rate that futex and nanosleep churn cost more CPU than
// handling the packets.
type waiter struct {
	f      *os.File
	rc     syscall.RawConn
	rings  int
	events []unix.EpollEvent
	masks  []uint32
}

// newWaiter watches the ring fds (index i for ring i) and efd.
func newWaiter(rings []int, efd int) (*waiter, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("create epoll set: %w", err)
	}
	w := &waiter{rings: len(rings), events: make([]unix.EpollEvent, len(rings)+1), masks: make([]uint32, len(rings))}
	for i, fd := range append(append([]int(nil), rings...), efd) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			unix.Close(epfd)
			return nil, fmt.Errorf("watch fd %d: %w", fd, err)
		}
		if i < len(rings) {
			w.masks[i] = unix.EPOLLIN
		}
	}
	// The netpoller needs the descriptor non-blocking to take it.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("set epoll set non-blocking: %w", err)
	}
	w.f = os.NewFile(uintptr(epfd), "capture-epoll")
	if w.rc, err = w.f.SyscallConn(); err != nil {
		w.f.Close()
		return nil, fmt.Errorf("watch epoll set: %w", err)
	}
	return w, nil
}

// watch sets whether ring i's packets wake the wait; errors on it always do.
func (w *waiter) watch(fd, i int, on bool) error {
	var mask uint32
	if on {
		mask = unix.EPOLLIN
	}
	if w.masks[i] == mask {
		return nil
	}
	var err error
	ctl := w.rc.Control(func(epfd uintptr) {
		err = unix.EpollCtl(int(epfd), unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Events: mask, Fd: int32(i)})
	})
	if err = errors.Join(ctl, err); err != nil {
		return fmt.Errorf("watch ring %d: %w", i, err)
	}
	w.masks[i] = mask
	return nil
}

// wait blocks until a watched descriptor is ready or d has passed, and
// returns the rings that report an error (POLLERR, POLLHUP).
func (w *waiter) wait(d time.Duration, failed []int) ([]int, error) {
	failed = failed[:0]
	if err := w.f.SetReadDeadline(time.Now().Add(d)); err != nil {
		return failed, fmt.Errorf("wait for packets: %w", err)
	}
	n := 0
	var werr error
	err := w.rc.Read(func(epfd uintptr) bool {
		n, werr = epollPoll(int(epfd), w.events)
		return n > 0 || werr != nil
	})
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return failed, nil
	case err != nil:
		return failed, fmt.Errorf("wait for packets: %w", err)
	case werr != nil:
		return failed, fmt.Errorf("wait for packets: %w", werr)
	}
	for _, ev := range w.events[:n] {
		if int(ev.Fd) < w.rings && ev.Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			failed = append(failed, int(ev.Fd))
		}
	}
	return failed, nil
}

func (w *waiter) close() { w.f.Close() }

// epollPoll is epoll_wait with a zero timeout. It never blocks, so it is
// made as a raw system call: an ordinary one tells the runtime it may block,
// which wakes the runtime's monitor thread on every wait.
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_WAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		if e == unix.EINTR {
			return 0, nil
		}
		return 0, e
	}
	return int(r), nil
}
