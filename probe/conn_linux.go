package probe

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/sys/unix"
)

// TCP connects to addr from inside ns (the caller's netns when nil) and
// classifies the result. IP_RECVERR on the socket tells a RST (refused)
// from an ICMP error and names the router that sent it. The error is only
// for a probe that could not run (no socket, ctx done).
func TCP(ctx context.Context, ns *nsutil.NetNS, addr netip.AddrPort, timeout time.Duration) (Outcome, error) {
	sa, fam, err := sockaddr(ns, addr)
	if err != nil {
		return Outcome{}, fmt.Errorf("probe tcp %s: %w", addr, err)
	}
	fd, err := newSocket(ns, fam, unix.SOCK_STREAM)
	if err != nil {
		return Outcome{}, fmt.Errorf("probe tcp %s: %w", addr, err)
	}
	defer unix.Close(fd)
	if err := setRecvErr(fd, fam); err != nil {
		return Outcome{}, fmt.Errorf("probe tcp %s: %w", addr, err)
	}
	start := time.Now()
	err = connectFD(ctx, fd, sa, start.Add(timeout))
	o := Outcome{RTT: time.Since(start), Local: localAddr(fd)}
	if err != nil && ctx.Err() != nil {
		return Outcome{}, fmt.Errorf("probe tcp %s: %w", addr, ctx.Err())
	}
	if err == nil {
		o.Kind = KindConnected
		return o, nil
	}
	o.ICMP = readErrQueue(fd)
	classify(&o, err, true)
	return o, nil
}

// UDP sends payload to addr from a connected UDP socket inside ns and waits
// for a reply or an error. A reply is KindAnswered; an ICMP error is
// classified with its sender; silence is KindNoAnswer. The error is only for
// a probe that could not run.
func UDP(ctx context.Context, ns *nsutil.NetNS, addr netip.AddrPort, payload []byte, timeout time.Duration) (Outcome, error) {
	sa, fam, err := sockaddr(ns, addr)
	if err != nil {
		return Outcome{}, fmt.Errorf("probe udp %s: %w", addr, err)
	}
	fd, err := newSocket(ns, fam, unix.SOCK_DGRAM)
	if err != nil {
		return Outcome{}, fmt.Errorf("probe udp %s: %w", addr, err)
	}
	defer unix.Close(fd)
	if err := setRecvErr(fd, fam); err != nil {
		return Outcome{}, fmt.Errorf("probe udp %s: %w", addr, err)
	}
	start := time.Now()
	o := Outcome{}
	fail := func(err error) (Outcome, error) {
		o.RTT = time.Since(start)
		o.Local = localAddr(fd)
		if o.ICMP == nil {
			o.ICMP = readErrQueue(fd)
		}
		classify(&o, err, false)
		return o, nil
	}
	// connect(2) on UDP only looks up the route: a missing one fails here.
	if err := unix.Connect(fd, sa); err != nil {
		return fail(err)
	}
	start = time.Now()
	if _, err := unix.Write(fd, payload); err != nil {
		return fail(err)
	}
	deadline := start.Add(timeout)
	buf := make([]byte, 65536)
	for {
		rev, err := waitFD(ctx, fd, unix.POLLIN, deadline)
		if err != nil {
			if ctx.Err() != nil {
				return Outcome{}, fmt.Errorf("probe udp %s: %w", addr, ctx.Err())
			}
			return fail(err)
		}
		if rev&unix.POLLERR != 0 {
			if e := readErrQueue(fd); e != nil {
				o.ICMP = e
				return fail(e.Errno)
			}
		}
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			continue
		case err != nil:
			return fail(err)
		}
		o.Kind, o.Bytes, o.RTT, o.Local = KindAnswered, n, time.Since(start), localAddr(fd)
		return o, nil
	}
}
