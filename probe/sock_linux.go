package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

// pollSlice bounds one poll(2) so a cancelled context is noticed quickly.
const pollSlice = 100 * time.Millisecond

// newSocket creates a non-blocking socket inside ns (the caller's netns when
// ns is nil).
func newSocket(ns *nsutil.NetNS, family, typ int) (int, error) {
	if ns == nil {
		fd, err := unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, fmt.Errorf("create socket: %w", err)
		}
		return fd, nil
	}
	return ns.Socket(family, typ|unix.SOCK_NONBLOCK, 0)
}

// sockaddr converts ap for connect(2); an IPv6 zone given by name is looked
// up inside ns, where the interface lives.
func sockaddr(ns *nsutil.NetNS, ap netip.AddrPort) (unix.Sockaddr, int, error) {
	a := ap.Addr().Unmap()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}, unix.AF_INET, nil
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	if z := a.Zone(); z != "" {
		if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.ZoneId = uint32(n)
		} else {
			var ifi *net.Interface
			look := func() error {
				var err error
				ifi, err = net.InterfaceByName(z)
				return err
			}
			var err error
			if ns != nil {
				err = ns.Do(look)
			} else {
				err = look()
			}
			if err != nil {
				return nil, 0, fmt.Errorf("find interface %q of %s: %w", z, a, err)
			}
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sa, unix.AF_INET6, nil
}

// setRecvErr asks the kernel to queue ICMP errors with their sender on the
// socket's error queue (ip(7) IP_RECVERR, ipv6(7) IPV6_RECVERR).
func setRecvErr(fd, family int) error {
	var err error
	if family == unix.AF_INET6 {
		err = unix.SetsockoptInt(fd, unix.SOL_IPV6, unix.IPV6_RECVERR, 1)
	} else {
		err = unix.SetsockoptInt(fd, unix.SOL_IP, unix.IP_RECVERR, 1)
	}
	if err != nil {
		return fmt.Errorf("set IP_RECVERR: %w", err)
	}
	return nil
}

// waitFD polls fd for events until deadline or ctx ends, retrying EINTR.
// POLLERR and POLLHUP are always reported.
func waitFD(ctx context.Context, fd int, events int16, deadline time.Time) (int16, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return 0, errTimeout
		}
		ms := min(left, pollSlice).Milliseconds()
		if ms == 0 {
			ms = 1
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(pfd, int(ms))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("poll: %w", err)
		}
		if n > 0 && pfd[0].Revents != 0 {
			return pfd[0].Revents, nil
		}
	}
}

// connectFD connects the non-blocking socket fd and waits for the handshake.
// It returns nil, errTimeout, a ctx error, or the errno the kernel reported.
func connectFD(ctx context.Context, fd int, sa unix.Sockaddr, deadline time.Time) error {
	err := unix.Connect(fd, sa)
	switch err {
	case nil:
		return nil
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
	default:
		return err
	}
	for {
		if _, err := waitFD(ctx, fd, unix.POLLOUT, deadline); err != nil {
			return err
		}
		soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return fmt.Errorf("read SO_ERROR: %w", err)
		}
		switch e := unix.Errno(soerr); e {
		case 0:
			if _, err := unix.Getpeername(fd); err == nil {
				return nil
			}
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		default:
			return e
		}
	}
}

// readErrQueue takes one entry from fd's error queue; nil when empty.
func readErrQueue(fd int) *ICMP {
	buf := make([]byte, 512)
	oob := make([]byte, 512)
	_, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if err != nil {
		return nil
	}
	e, err := parseErrQueue(oob[:oobn])
	if err != nil {
		return nil
	}
	return e
}

// sizeofExtErr is sizeof(struct sock_extended_err).
const sizeofExtErr = 16

// parseErrQueue decodes the IP_RECVERR / IPV6_RECVERR control message of a
// MSG_ERRQUEUE read: a sock_extended_err followed by the offender's sockaddr.
func parseErrQueue(oob []byte) (*ICMP, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse error queue: %w", err)
	}
	for _, m := range msgs {
		isErr := (m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_RECVERR) ||
			(m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_RECVERR)
		if !isErr {
			continue
		}
		d := m.Data
		if len(d) < sizeofExtErr {
			return nil, fmt.Errorf("parse error queue: sock_extended_err of %d bytes", len(d))
		}
		e := &ICMP{
			Errno: unix.Errno(binary.NativeEndian.Uint32(d[0:4])),
			Type:  d[5],
			Code:  d[6],
			Info:  binary.NativeEndian.Uint32(d[8:12]),
		}
		switch d[4] {
		case unix.SO_EE_ORIGIN_ICMP:
			e.Origin = "icmp"
		case unix.SO_EE_ORIGIN_ICMP6:
			e.Origin = "icmp6"
		case unix.SO_EE_ORIGIN_LOCAL:
			e.Origin = "local"
		default:
			e.Origin = "origin-" + strconv.Itoa(int(d[4]))
		}
		e.From = offender(d[sizeofExtErr:])
		return e, nil
	}
	return nil, errors.New("parse error queue: no IP_RECVERR message")
}

// offender decodes the sockaddr_in or sockaddr_in6 after sock_extended_err;
// AF_UNSPEC (no offender) gives the zero Addr.
func offender(b []byte) netip.Addr {
	if len(b) < 2 {
		return netip.Addr{}
	}
	switch binary.NativeEndian.Uint16(b[0:2]) {
	case unix.AF_INET:
		if len(b) >= 8 {
			return netip.AddrFrom4([4]byte(b[4:8]))
		}
	case unix.AF_INET6:
		if len(b) >= 24 {
			return netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		}
	}
	return netip.Addr{}
}

// localAddr returns the socket's bound address, or the zero value.
func localAddr(fd int) netip.AddrPort {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}
