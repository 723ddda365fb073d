package capture

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// errHandler marks a handler failure inside the loop.
type errHandler struct{ err error }

func (e errHandler) Error() string { return e.err.Error() }

// source is a handle with one packet looked at ahead, to merge several
// handles in timestamp order.
type source struct {
	h    *Handle
	pi   PacketInfo
	data []byte
	have bool
}

// Run reads packets from the handles until a stop condition and gives each to
// fn, merging several handles by timestamp. It never blocks a handle's ring
// longer than needed: packets are handled in place. When stopped by ctx or
// Duration it first takes what is already in the rings, waiting at most one
// block timeout for a partly filled block, so a stopped capture loses nothing
// it could have had. Run does not close the handles; Result.Stats holds their
// totals read at the end.
func Run(ctx context.Context, hs []*Handle, cfg RunConfig, fn Handler) (Result, error) {
	if len(hs) == 0 {
		return Result{}, fmt.Errorf("run capture: no handles")
	}
	switch {
	case fn != nil && cfg.Output != nil:
		return Result{}, fmt.Errorf("run capture: a handler and an Output: give one")
	case cfg.Output != nil:
		fn = cfg.Output.Write
	case fn == nil:
		return Result{}, fmt.Errorf("run capture: no handler and no output")
	}
	l := &loop{cfg: cfg, fn: fn, srcs: make([]source, len(hs)), waitOn: make([]bool, len(hs))}
	for i, h := range hs {
		l.srcs[i].h = h
		l.srcs[i].pi.Source = i
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return Result{}, fmt.Errorf("run capture: create eventfd: %w", err)
	}
	defer unix.Close(efd)
	stopWake := context.AfterFunc(ctx, func() {
		l.cancelled.Store(true)
		var one = [8]byte{1}
		_, _ = unix.Write(efd, one[:])
	})
	defer stopWake()
	l.efd = efd
	l.ctx = ctx
	reason := l.run()
	res := Result{Captured: l.captured, Reason: reason}
	for _, h := range hs {
		st, _ := h.Stats()
		res.Stats = append(res.Stats, st)
	}
	var he errHandler
	if errors.As(reason, &he) {
		res.Reason = he.err
		return res, he.err
	}
	return res, nil
}

type loop struct {
	cfg       RunConfig
	fn        Handler
	srcs      []source
	efd       int
	ctx       context.Context
	cancelled atomic.Bool
	captured  uint64
	deadline  time.Time
	deadNs    int64 // deadline in Unix nanoseconds, 0 for none
	nextWatch time.Time
	// waiting: a packet is held back until the handles marked in waitOn
	// retire their open blocks; poll then watches only those.
	waiting bool
	waitOn  []bool
	// force delivers without waiting for open blocks: the last drain.
	force bool
}

const watchDefault = time.Second

func (l *loop) run() error {
	start := time.Now()
	if l.cfg.Duration > 0 {
		l.deadline = start.Add(l.cfg.Duration)
		l.deadNs = l.deadline.UnixNano()
	}
	every := l.cfg.WatchEvery
	if every <= 0 {
		every = watchDefault
	}
	l.nextWatch = start.Add(every)
	fds := make([]int, len(l.srcs))
	for i, s := range l.srcs {
		fds[i] = s.h.fd
	}
	w, err := newWaiter(fds, l.efd)
	if err != nil {
		return err
	}
	defer w.close()
	var failed []int
	for {
		if err := l.drain(false); err != nil {
			return err
		}
		now := time.Now()
		if err := l.checkClock(now, every); err != nil {
			return err
		}
		timeout := l.nextWatch.Sub(now)
		if !l.deadline.IsZero() && l.deadline.Sub(now) < timeout {
			timeout = l.deadline.Sub(now)
		}
		if timeout < time.Millisecond {
			timeout = time.Millisecond
		}
		for i, s := range l.srcs {
			// While holding a packet back, a ready ring would end the wait
			// at once: watch only the rings being waited for.
			if err := w.watch(s.h.fd, i, !l.waiting || l.waitOn[i]); err != nil {
				return err
			}
		}
		if failed, err = w.wait(timeout, failed); err != nil {
			return err
		}
		for _, i := range failed {
			if err := l.srcs[i].h.sockError(); err != nil {
				// Whatever reached the ring before the error still counts.
				if derr := l.drain(true); derr != nil {
					return derr
				}
				return err
			}
		}
		if l.cancelled.Load() {
			return l.finish(context.Cause(l.ctx))
		}
	}
}

// checkClock applies Duration and Watch.
func (l *loop) checkClock(now time.Time, every time.Duration) error {
	if !l.deadline.IsZero() && !now.Before(l.deadline) {
		return l.finish(ErrDurationElapsed)
	}
	if l.cfg.Watch != nil && !now.Before(l.nextWatch) {
		l.nextWatch = now.Add(every)
		if err := l.cfg.Watch(); err != nil {
			if derr := l.drain(true); derr != nil {
				return derr
			}
			return err
		}
	} else if l.cfg.Watch == nil && !now.Before(l.nextWatch) {
		l.nextWatch = now.Add(every)
	}
	return nil
}

// finish takes the packets still in the rings, waiting once for blocks the
// kernel is filling to retire, and returns reason.
func (l *loop) finish(reason error) error {
	var wait time.Duration
	for _, s := range l.srcs {
		if s.h.timeout > wait {
			wait = s.h.timeout
		}
	}
	pfds := make([]unix.PollFd, len(l.srcs))
	for i, s := range l.srcs {
		pfds[i] = unix.PollFd{Fd: int32(s.h.fd), Events: unix.POLLIN}
	}
	end := time.Now().Add(wait + 50*time.Millisecond)
	for {
		// Merged order still holds: a packet waits for older ones that sit
		// in a block not yet retired.
		if err := l.drain(true); err != nil {
			return err
		}
		pending := false
		for _, s := range l.srcs {
			pending = pending || s.have || s.h.pendingInOpenBlock()
		}
		if !pending {
			return reason
		}
		left := time.Until(end)
		if left <= 0 {
			break
		}
		_, _ = unix.Poll(pfds, int(left/time.Millisecond)+1)
	}
	l.force = true
	if err := l.drain(true); err != nil {
		return err
	}
	return reason
}

// drain hands every packet now in the rings to the handler. final means the
// capture is ending: cancellation is not checked again.
func (l *loop) drain(final bool) error {
	if len(l.srcs) == 1 {
		return l.drainOne(final)
	}
	return l.drainMerged(final)
}

func (l *loop) drainOne(final bool) error {
	s := &l.srcs[0]
	h := s.h
	if o := l.cfg.Output; o != nil && o.blockFast() && h.user == nil && !h.cooked {
		return l.drainBlocks(final, h, &s.pi, o)
	}
	var n uint32
	for {
		if !final && l.cancelled.Load() {
			return nil
		}
		data, ok := h.next(&s.pi)
		if !ok {
			return nil
		}
		if err := l.deliver(&s.pi, data); err != nil {
			return err
		}
		if n++; n&1023 == 0 && !final {
			if err := l.checkClock(time.Now(), l.every()); err != nil {
				return err
			}
		}
	}
}

// drainBlocks is drainOne for a pcap Output: it walks each ring block and
// appends the records to the output's buffer in one loop, with no call per
// packet but the append. A frame with a VLAN tag to put back takes the
// general path. The records are copies, so a block goes back to the
// kernel as soon as it is walked.
func (l *loop) drainBlocks(final bool, h *Handle, pi *PacketInfo, o *Output) error {
	minMac := tpacketAlign(tpacket3HdrLen) + sockaddrLLLen
	for {
		if !final && l.cancelled.Load() {
			return nil
		}
		if !h.inBlk && !h.openBlock() {
			return nil
		}
		end := (h.cur + 1) * h.bsize
		for h.left > 0 {
			base := h.cur*h.bsize + h.off
			if base+tpacket3HdrLen > end {
				break // a corrupt offset: skip the rest of the block
			}
			th := (*unix.Tpacket3Hdr)(unsafe.Pointer(&h.ring[base]))
			h.left--
			h.off += int(th.Next_offset)
			if th.Next_offset == 0 {
				h.left = 0
			}
			if l.deadNs != 0 && int64(th.Sec)*1e9+int64(th.Nsec) >= l.deadNs {
				continue // after the end of the capture window
			}
			var err error
			if th.Status&unix.TP_STATUS_VLAN_VALID != 0 {
				d, ok := h.frame(base, th, pi)
				if !ok {
					continue
				}
				err = o.Write(pi, d)
			} else {
				mac, n := base+int(th.Mac), min(int(th.Snaplen), h.snaplen)
				if int(th.Mac) < minMac || mac+int(th.Snaplen) > len(h.ring) {
					continue
				}
				err = o.fail(o.appendPcap(th.Sec, th.Nsec, h.ring[mac:mac+n], int(th.Len)))
			}
			if err != nil {
				return errHandler{err}
			}
			l.captured++
			if l.cfg.Count > 0 && l.captured >= l.cfg.Count {
				return ErrCountReached
			}
		}
		h.releaseBlock()
		if !final {
			if err := l.checkClock(time.Now(), l.every()); err != nil {
				return err
			}
		}
	}
}

func (l *loop) every() time.Duration {
	if l.cfg.WatchEvery > 0 {
		return l.cfg.WatchEvery
	}
	return watchDefault
}

// drainMerged delivers packets of several handles oldest first. A packet is
// held back while another handle has packets in a block the kernel has not
// retired yet (they may be older); the retire timeout bounds the wait.
func (l *loop) drainMerged(final bool) error {
	var n uint32
	for {
		if !final && l.cancelled.Load() {
			return nil
		}
		best := -1
		waiting := false
		for i := range l.srcs {
			s := &l.srcs[i]
			l.waitOn[i] = false
			if !s.have {
				s.data, s.have = s.h.next(&s.pi)
			}
			if !s.have && !l.force && s.h.pendingInOpenBlock() {
				l.waitOn[i], waiting = true, true
			}
			if s.have && (best < 0 || s.pi.Timestamp.Before(l.srcs[best].pi.Timestamp)) {
				best = i
			}
		}
		if best < 0 || waiting {
			l.waiting = waiting && best >= 0
			return nil
		}
		l.waiting = false
		s := &l.srcs[best]
		s.have = false
		if err := l.deliver(&s.pi, s.data); err != nil {
			return err
		}
		if n++; n&1023 == 0 && !final {
			if err := l.checkClock(time.Now(), l.every()); err != nil {
				return err
			}
		}
	}
}

func (l *loop) deliver(pi *PacketInfo, data []byte) error {
	if !l.deadline.IsZero() && !pi.Timestamp.Before(l.deadline) {
		return nil // after the end of the capture window
	}
	if err := l.fn(pi, data); err != nil {
		return errHandler{err}
	}
	l.captured++
	if l.cfg.Count > 0 && l.captured >= l.cfg.Count {
		return ErrCountReached
	}
	return nil
}
