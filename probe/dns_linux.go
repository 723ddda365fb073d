package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// send does one exchange with srv over UDP or TCP.
func (l *lookup) send(req *dns.Msg, srv netip.AddrPort, tcp bool) (*dns.Msg, time.Duration, error) {
	wire, err := req.Pack()
	if err != nil {
		return nil, 0, &fatalError{fmt.Errorf("pack query: %w", err)}
	}
	sa, fam, err := sockaddr(l.ns, srv)
	if err != nil {
		return nil, 0, &fatalError{err}
	}
	typ := unix.SOCK_DGRAM
	if tcp {
		typ = unix.SOCK_STREAM
	}
	fd, err := newSocket(l.ns, fam, typ)
	if err != nil {
		return nil, 0, &fatalError{err}
	}
	defer unix.Close(fd)
	if !tcp {
		// ICMP errors then name the router that refused, instead of a bare timeout.
		if err := setRecvErr(fd, fam); err != nil {
			return nil, 0, &fatalError{err}
		}
	}
	start := time.Now()
	deadline := start.Add(l.opts.Timeout)
	var m *dns.Msg
	if tcp {
		m, err = exchangeTCP(l.ctx, fd, sa, wire, req, deadline)
	} else {
		m, err = exchangeUDP(l.ctx, fd, sa, wire, req, deadline)
	}
	return m, time.Since(start), queryErr(err)
}

func exchangeUDP(ctx context.Context, fd int, sa unix.Sockaddr, wire []byte, req *dns.Msg, deadline time.Time) (*dns.Msg, error) {
	if err := unix.Connect(fd, sa); err != nil {
		return nil, err
	}
	if _, err := unix.Write(fd, wire); err != nil {
		return nil, err
	}
	buf := make([]byte, 65536)
	for {
		rev, err := waitFD(ctx, fd, unix.POLLIN, deadline)
		if err != nil {
			return nil, err
		}
		if rev&unix.POLLERR != 0 {
			if e := readErrQueue(fd); e != nil {
				if e.Errno == unix.ECONNREFUSED {
					return nil, e.Errno
				}
				return nil, fmt.Errorf("%s from %s: %w", icmpKind(e), e.From, e.Errno)
			}
		}
		n, err := unix.Read(fd, buf)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		m := new(dns.Msg)
		// Like glibc, ignore what is not a reply to this query and keep waiting.
		if m.Unpack(buf[:n]) != nil || !isReplyTo(m, req) {
			continue
		}
		return m, nil
	}
}

func exchangeTCP(ctx context.Context, fd int, sa unix.Sockaddr, wire []byte, req *dns.Msg, deadline time.Time) (*dns.Msg, error) {
	if err := connectFD(ctx, fd, sa, deadline); err != nil {
		return nil, err
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(wire)))
	out = append(out, wire...)
	for len(out) > 0 {
		n, err := unix.Write(fd, out)
		if err == unix.EAGAIN || err == unix.EINTR {
			if _, err := waitFD(ctx, fd, unix.POLLOUT, deadline); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		out = out[n:]
	}
	var hdr [2]byte
	if err := readFull(ctx, fd, hdr[:], deadline); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if err := readFull(ctx, fd, body, deadline); err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	if err := m.Unpack(body); err != nil {
		return nil, fmt.Errorf("malformed reply: %w", err)
	}
	if !isReplyTo(m, req) {
		return nil, errors.New("reply does not match the query")
	}
	return m, nil
}

func readFull(ctx context.Context, fd int, b []byte, deadline time.Time) error {
	for len(b) > 0 {
		n, err := unix.Read(fd, b)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			if _, err := waitFD(ctx, fd, unix.POLLIN, deadline); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		case n == 0:
			return errors.New("server closed the connection")
		}
		b = b[n:]
	}
	return nil
}
