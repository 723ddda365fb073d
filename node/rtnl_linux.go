package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

// rtLink is what the netns scan needs of a pod interface.
type rtLink struct {
	Index, MTU, ParentIndex, NetNSID int
	Name, Kind                       string
}

// errNoLink means the interface does not exist in that netns.
var errNoLink = errors.New("no such interface")

// readPodLink reads one interface and its addresses in ns over a single
// NETLINK_ROUTE socket created there: the scan does this for every pod, and a
// full vishvananda handle costs six sockets and twice the time.
func readPodLink(ns *nsutil.NetNS, name string) (rtLink, []netip.Addr, error) {
	fd, err := ns.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
	if err != nil {
		return rtLink{}, nil, err
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval((2 * time.Second).Nanoseconds())
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)

	// RTM_GETLINK by name (IFLA_IFNAME).
	ifi := make([]byte, unix.SizeofIfInfomsg)
	req := nlRequest(unix.RTM_GETLINK, unix.NLM_F_REQUEST, 1, ifi, attr(unix.IFLA_IFNAME, append([]byte(name), 0)))
	msgs, err := nlExchange(fd, req, 1, false)
	if err != nil {
		if errors.Is(err, unix.ENODEV) {
			return rtLink{}, nil, errNoLink
		}
		return rtLink{}, nil, fmt.Errorf("get link %s: %w", name, err)
	}
	var l rtLink
	found := false
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK || len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		l = parseLink(m.Data)
		found = true
		break
	}
	if !found || l.Name != name {
		return rtLink{}, nil, errNoLink
	}

	// RTM_GETADDR dump, filtered here by index.
	ifa := make([]byte, unix.SizeofIfAddrmsg)
	msgs, err = nlExchange(fd, nlRequest(unix.RTM_GETADDR, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, 2, ifa), 2, true)
	if err != nil {
		return rtLink{}, nil, fmt.Errorf("list addresses: %w", err)
	}
	var addrs []netip.Addr
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWADDR || len(m.Data) < unix.SizeofIfAddrmsg {
			continue
		}
		if int(binary.NativeEndian.Uint32(m.Data[4:8])) != l.Index {
			continue
		}
		var local, address []byte
		for _, a := range rtAttrs(m.Data[unix.SizeofIfAddrmsg:]) {
			switch a.typ {
			case unix.IFA_LOCAL:
				local = a.val
			case unix.IFA_ADDRESS:
				address = a.val
			}
		}
		if local == nil {
			local = address
		}
		if ip, ok := netip.AddrFromSlice(local); ok {
			addrs = append(addrs, ip)
		}
	}
	return l, addrs, nil
}

// parseLink reads an RTM_NEWLINK body.
func parseLink(b []byte) rtLink {
	l := rtLink{Index: int(int32(binary.NativeEndian.Uint32(b[4:8]))), NetNSID: -1}
	for _, a := range rtAttrs(b[unix.SizeofIfInfomsg:]) {
		v := a.val
		switch a.typ {
		case unix.IFLA_IFNAME:
			l.Name = cString(v)
		case unix.IFLA_MTU:
			if len(v) >= 4 {
				l.MTU = int(binary.NativeEndian.Uint32(v))
			}
		case unix.IFLA_LINK:
			if len(v) >= 4 {
				l.ParentIndex = int(int32(binary.NativeEndian.Uint32(v)))
			}
		case unix.IFLA_LINK_NETNSID:
			if len(v) >= 4 {
				l.NetNSID = int(int32(binary.NativeEndian.Uint32(v)))
			}
		case unix.IFLA_LINKINFO:
			for _, in := range rtAttrs(v) {
				if in.typ == unix.IFLA_INFO_KIND {
					l.Kind = cString(in.val)
				}
			}
		}
	}
	return l
}

type rtAttr struct {
	typ uint16 // without the NLA_F_NESTED and NLA_F_NET_BYTEORDER flags
	val []byte
}

// rtAttrs splits route attributes; a malformed tail is ignored (the
// standard library's ParseNetlinkRouteAttr panics on some).
func rtAttrs(b []byte) []rtAttr {
	var out []rtAttr
	for len(b) >= unix.SizeofRtAttr {
		n := int(binary.NativeEndian.Uint16(b[0:2]))
		if n < unix.SizeofRtAttr || n > len(b) {
			break
		}
		typ := binary.NativeEndian.Uint16(b[2:4]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
		out = append(out, rtAttr{typ, b[unix.SizeofRtAttr:n]})
		next := (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1)
		if next >= len(b) {
			break
		}
		b = b[next:]
	}
	return out
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// attr encodes one rtattr.
func attr(typ uint16, val []byte) []byte {
	n := unix.SizeofRtAttr + len(val)
	b := make([]byte, (n+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1))
	binary.NativeEndian.PutUint16(b[0:2], uint16(n))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[unix.SizeofRtAttr:], val)
	return b
}

// nlRequest builds a netlink message.
func nlRequest(typ, flags uint16, seq uint32, body []byte, attrs ...[]byte) []byte {
	b := make([]byte, unix.SizeofNlMsghdr, 64)
	b = append(b, body...)
	for _, a := range attrs {
		b = append(b, a...)
	}
	binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], flags)
	binary.NativeEndian.PutUint32(b[8:12], seq)
	return b
}

// nlBufs holds receive buffers: the scan reads two answers per pod.
var nlBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// nlExchange sends req to the kernel and collects the answers with sequence
// seq: until NLMSG_DONE for a dump, else the first answer.
func nlExchange(fd int, req []byte, seq uint32, dump bool) ([]syscall.NetlinkMessage, error) {
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	var out []syscall.NetlinkMessage
	bp := nlBufs.Get().(*[]byte)
	defer nlBufs.Put(bp)
	buf := *bp
	for {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return nil, errors.New("short netlink error")
				}
				if code := int32(binary.NativeEndian.Uint32(m.Data[0:4])); code != 0 {
					return nil, unix.Errno(-code)
				}
				return out, nil
			}
			// Copy: buf is reused by the next read.
			m.Data = append([]byte(nil), m.Data...)
			out = append(out, m)
			if !dump {
				return out, nil
			}
		}
	}
}
