package rtnl

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

// recvTimeout bounds each wait for the kernel: an answer never takes this
// long unless something holds the rtnl lock, and an error beats a hang.
const recvTimeout = 5 * time.Second

// dumpTries is how often a dump is tried while the kernel marks it
// interrupted (NLM_F_DUMP_INTR: the table changed while it was read).
const dumpTries = 3

// Conn is one NETLINK_ROUTE socket in one network namespace. Its methods
// may be called from any goroutine, one at a time.
type Conn struct {
	fd  int
	seq uint32
}

// Dial opens a NETLINK_ROUTE socket inside ns (nil: the caller's netns).
// The socket keeps that netns, so the Conn reads it from any goroutine;
// one socket and one setns(2) round trip is all it costs.
func Dial(ns *nsutil.NetNS) (*Conn, error) {
	var fd int
	var err error
	if ns == nil {
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	} else {
		fd, err = ns.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
	}
	if err != nil {
		return nil, fmt.Errorf("open rtnetlink: %w", err)
	}
	tv := unix.NsecToTimeval(recvTimeout.Nanoseconds())
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return &Conn{fd: fd}, nil
}

// Close closes the socket.
func (c *Conn) Close() error { return unix.Close(c.fd) }

// Links lists the interfaces, in the kernel's order.
//
// Equivalent to: `ip link show`.
func (c *Conn) Links() ([]Link, error) {
	out, err := dump(c, rtmGetLink, make([]byte, sizeofIfInfomsg), func(out []Link, typ uint16, b []byte) []Link {
		if l, ok := parseLink(b); ok && typ == rtmNewLink {
			out = append(out, l)
		}
		return out
	})
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	return out, nil
}

// LinkByName returns the interface named name, or an error wrapping
// ErrNotFound.
//
// Equivalent to: `ip link show dev NAME`.
func (c *Conn) LinkByName(name string) (Link, error) {
	l, err := c.getLink(0, attr(iflaIfname, append([]byte(name), 0)))
	if err != nil {
		return Link{}, fmt.Errorf("get link %s: %w", name, err)
	}
	if l.Name != name {
		return Link{}, fmt.Errorf("get link %s: %w", name, ErrNotFound)
	}
	return l, nil
}

// LinkByIndex returns interface index, or an error wrapping ErrNotFound.
func (c *Conn) LinkByIndex(index int) (Link, error) {
	l, err := c.getLink(index)
	if err != nil {
		return Link{}, fmt.Errorf("get link %d: %w", index, err)
	}
	return l, nil
}

func (c *Conn) getLink(index int, attrs ...[]byte) (Link, error) {
	ifi := make([]byte, sizeofIfInfomsg)
	ne.PutUint32(ifi[4:8], uint32(int32(index)))
	var l Link
	found := false
	_, err := c.exchange(rtmGetLink, nlmFRequest, ifi, attrs, func(typ uint16, b []byte) {
		if typ == rtmNewLink && !found {
			l, found = parseLink(b)
		}
	})
	if errors.Is(err, unix.ENODEV) || err == nil && !found {
		err = ErrNotFound
	}
	return l, err
}

// Addrs lists the addresses of family (FamilyAll for both) on interface
// index (0: every interface).
//
// Equivalent to: `ip addr show [dev DEV]`.
func (c *Conn) Addrs(family, index int) ([]Address, error) {
	ifa := make([]byte, sizeofIfAddrmsg)
	ifa[0] = byte(family)
	out, err := dump(c, rtmGetAddr, ifa, func(out []Address, typ uint16, b []byte) []Address {
		if typ != rtmNewAddr || len(b) < sizeofIfAddrmsg || index != 0 && addrIndex(b) != index {
			return out
		}
		if a, ok := parseAddr(b); ok && (family == FamilyAll || a.Family == family) {
			out = append(out, a)
		}
		return out
	})
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	return out, nil
}

// Routes lists the IPv4 and IPv6 routes of family (FamilyAll for both) in
// table (TableAll for every table), leaving out the cached clones of
// RTM_F_CLONED.
//
// Equivalent to: `ip route show table TABLE`.
func (c *Conn) Routes(family, table int) ([]Route, error) {
	rtm := make([]byte, sizeofRtMsg)
	rtm[0] = byte(family)
	out, err := dump(c, rtmGetRoute, rtm, func(out []Route, typ uint16, b []byte) []Route {
		if typ != rtmNewRoute || len(b) < sizeofRtMsg || ne.Uint32(b[8:12])&rtmFCloned != 0 {
			return out
		}
		if f := int(b[0]); f != FamilyV4 && f != FamilyV6 || family != FamilyAll && f != family {
			return out
		}
		// rtm_table is the table, or RT_TABLE_COMPAT for one above 255.
		if table != TableAll && table < 256 && int(b[4]) != table {
			return out
		}
		if r, ok := parseRoute(b); ok && (table == TableAll || r.Table == table) {
			out = append(out, r)
		}
		return out
	})
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	return out, nil
}

// Neighbors lists the ARP and NDP entries of family (FamilyAll for both),
// in every state.
//
// Equivalent to: `ip neigh show nud all`.
func (c *Conn) Neighbors(family int) ([]Neighbor, error) {
	ndm := make([]byte, sizeofNdMsg)
	ndm[0] = byte(family)
	out, err := dump(c, rtmGetNeigh, ndm, func(out []Neighbor, typ uint16, b []byte) []Neighbor {
		if typ != rtmNewNeigh {
			return out
		}
		if n, ok := parseNeigh(b); ok && (family == FamilyAll || n.Family == family) {
			out = append(out, n)
		}
		return out
	})
	if err != nil {
		return nil, fmt.Errorf("list neighbours: %w", err)
	}
	return out, nil
}

// NetNSID returns the id this netns has for the netns open as fd, or -1
// when it has none. The kernel allocates ids as it reports links whose
// peers are in other namespaces, so ask after listing the links.
//
// Equivalent to: `ip netns identify`'s reverse, RTM_GETNSID with NETNSA_FD.
func (c *Conn) NetNSID(fd int) (int, error) {
	f := make([]byte, 4)
	ne.PutUint32(f, uint32(fd))
	id := -1
	_, err := c.exchange(rtmGetNSID, nlmFRequest, make([]byte, sizeofRtGenmsg), [][]byte{attr(netnsaFD, f)}, func(typ uint16, b []byte) {
		if typ == rtmNewNSID {
			id = parseNSID(b)
		}
	})
	if err != nil {
		return -1, fmt.Errorf("get netns id: %w", err)
	}
	return id, nil
}

// dump runs a dump request, retrying while the kernel marks it
// interrupted; add appends what a message holds to the result.
func dump[T any](c *Conn, typ uint16, body []byte, add func([]T, uint16, []byte) []T) ([]T, error) {
	var out []T
	for range dumpTries {
		out = out[:0]
		intr, err := c.exchange(typ, nlmFRequest|nlmFDump, body, nil, func(typ uint16, b []byte) { out = add(out, typ, b) })
		if err != nil {
			return nil, err
		}
		if !intr {
			return out, nil
		}
	}
	return nil, ErrDumpInterrupted
}

// bufs are receive buffers: the kernel fills at most 32 KiB a read for a
// dump unless one message needs more.
var bufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// exchange sends one request and passes each answer's type and body to
// fn, in place (the buffer is reused: fn copies what it keeps), until
// NLMSG_DONE, an error, or the only answer of a request that is no dump.
// intr says whether the kernel flagged the dump as interrupted.
func (c *Conn) exchange(typ, flags uint16, body []byte, attrs [][]byte, fn func(typ uint16, b []byte)) (intr bool, err error) {
	c.seq++
	seq := c.seq
	if err := unix.Sendto(c.fd, request(typ, flags, seq, body, attrs...), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return false, err
	}
	bp := bufs.Get().(*[]byte)
	defer bufs.Put(bp)
	buf := *bp
	for {
		n, _, rflags, from, err := unix.Recvmsg(c.fd, buf, nil, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, err
		}
		if rflags&unix.MSG_TRUNC != 0 {
			return false, fmt.Errorf("netlink message larger than %d bytes", len(buf))
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		for b := buf[:n]; len(b) >= sizeofNlMsghdr; {
			l := int(ne.Uint32(b[0:4]))
			if l < sizeofNlMsghdr || l > len(b) {
				return intr, errors.New("malformed netlink message")
			}
			mtyp, mflags, mseq := ne.Uint16(b[4:6]), ne.Uint16(b[6:8]), ne.Uint32(b[8:12])
			data := b[sizeofNlMsghdr:l]
			if next := (l + 3) &^ 3; next < len(b) {
				b = b[next:]
			} else {
				b = nil
			}
			if mseq != seq {
				continue // an answer to an earlier request that gave up
			}
			intr = intr || mflags&nlmFDumpIntr != 0
			switch mtyp {
			case nlmsgDone:
				return intr, nil
			case nlmsgError:
				if len(data) < 4 {
					return intr, errors.New("short netlink error")
				}
				if code := int32(ne.Uint32(data[0:4])); code != 0 {
					return intr, unix.Errno(-code)
				}
				return intr, nil // an acknowledgement
			}
			fn(mtyp, data)
			if flags&nlmFDump == 0 && mflags&nlmFMulti == 0 {
				return intr, nil
			}
		}
	}
}
