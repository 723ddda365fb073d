package nfnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

// AppendAttr appends a NUL-terminated string attribute.
func AppendAttr(b []byte, typ uint16, val string) []byte {
	var h [4]byte
	binary.NativeEndian.PutUint16(h[:], uint16(4+len(val)+1))
	binary.NativeEndian.PutUint16(h[2:], typ)
	b = append(b, h[:]...)
	b = append(b, val...)
	b = append(b, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// Sock is a raw NETLINK_NETFILTER socket that parses replies in place in
// one reused buffer; mdlayher/netlink copies every message, which dominated
// the time of large dumps.
type Sock struct {
	fd      int
	seq     uint32
	buf     []byte
	req     []byte // last request, reused
	Scratch []byte // request attributes, for the caller to reuse
}

func Open(ns *nsutil.NetNS) (*Sock, error) {
	var fd int
	var err error
	if ns == nil {
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	} else {
		fd, err = ns.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
	}
	if err != nil {
		return nil, fmt.Errorf("open netfilter netlink socket: %w", Explain(err))
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind netfilter netlink socket: %w", err)
	}
	return &Sock{fd: fd, buf: make([]byte, 1<<16)}, nil
}

func (s *Sock) Close() { unix.Close(s.fd) }

func (s *Sock) Send(msgType uint16, flags uint16, fam uint8, attrs []byte) error {
	s.seq++
	req := append(s.req[:0], make([]byte, unix.NLMSG_HDRLEN+4)...)
	req = append(req, attrs...)
	s.req = req
	binary.NativeEndian.PutUint32(req, uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], unix.NFNL_SUBSYS_NFTABLES<<8|msgType)
	binary.NativeEndian.PutUint16(req[6:], flags)
	binary.NativeEndian.PutUint32(req[8:], s.seq)
	req[16] = fam
	req[17] = unix.NFNETLINK_V0
	// An unconnected netlink socket writes to the kernel.
	_, err := unix.Write(s.fd, req)
	return err
}

// recv reads replies to the last request and calls fn with the payload
// (after the nfgenmsg header) of each message until NLMSG_DONE, or, for a
// request without NLM_F_DUMP, the first message.
func (s *Sock) Recv(dump bool, fn func([]byte) error) error {
	var ferr error
	for {
		// read(2), not recvfrom: no source address to allocate.
		n, err := unix.Read(s.fd, s.buf)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return err
		}
		b := s.buf[:n]
		for len(b) >= unix.NLMSG_HDRLEN {
			l := int(binary.NativeEndian.Uint32(b))
			typ := binary.NativeEndian.Uint16(b[4:])
			flags := binary.NativeEndian.Uint16(b[6:])
			seq := binary.NativeEndian.Uint32(b[8:])
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				return errors.New("malformed netlink message")
			}
			body := b[unix.NLMSG_HDRLEN:l]
			adv := (l + 3) &^ 3
			if adv > len(b) {
				adv = len(b)
			}
			b = b[adv:]
			if seq != s.seq {
				continue
			}
			switch typ {
			case unix.NLMSG_DONE:
				if len(body) >= 4 {
					if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
						return unix.Errno(-e)
					}
				}
				return ferr
			case unix.NLMSG_ERROR:
				if len(body) < 4 {
					return errors.New("short netlink error")
				}
				if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
					return unix.Errno(-e)
				}
				return ferr
			}
			if flags&unix.NLM_F_DUMP_INTR != 0 {
				return errors.New("dump interrupted by a ruleset change: try again")
			}
			if len(body) < 4 {
				return errors.New("short nfgenmsg")
			}
			if ferr == nil {
				ferr = fn(body[4:])
			}
			if !dump {
				return ferr
			}
		}
	}
}

func (s *Sock) Dump(msgType uint16, fam uint8, attrs []byte, fn func([]byte) error) error {
	if err := s.Send(msgType, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, fam, attrs); err != nil {
		return err
	}
	return s.Recv(true, fn)
}

// genID returns the ruleset generation, which changes with every commit.
func (s *Sock) GenID() (uint32, error) {
	if err := s.Send(unix.NFT_MSG_GETGEN, unix.NLM_F_REQUEST, unix.NFPROTO_UNSPEC, nil); err != nil {
		return 0, err
	}
	var id uint32
	found := false
	err := s.Recv(false, func(m []byte) error {
		a := Attrs{B: m}
		for a.Next() {
			if a.Type == unix.NFTA_GEN_ID {
				id, found = BE32(a.Val)
			}
		}
		return nil
	})
	if err == nil && !found {
		err = errors.New("no generation id in the reply")
	}
	return id, err
}

// OnSockets calls fn for 0 ≤ i < n on a few netfilter sockets in ns at
// once: the kernel fills each dump in the reading thread. fn gets scratch
// space for request attributes and hands it back.
func OnSockets(ns *nsutil.NetNS, n int, fn func(sock *Sock, i int, attrs []byte) ([]byte, error)) error {
	var socks []*Sock
	for len(socks) < min(runtime.GOMAXPROCS(0), 4, 1+n/500) {
		s, err := Open(ns)
		if err != nil {
			if len(socks) == 0 {
				return err
			}
			break
		}
		defer s.Close()
		socks = append(socks, s)
	}
	var next atomic.Int64
	errs := make([]error, len(socks))
	var wg sync.WaitGroup
	for w, sock := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var attrs []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				var err error
				if attrs, err = fn(sock, i, attrs); err != nil {
					errs[w] = err
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func Explain(err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("needs CAP_NET_ADMIN: run as root: %w", err)
	case errors.Is(err, unix.EPROTONOSUPPORT), errors.Is(err, unix.EAFNOSUPPORT):
		return fmt.Errorf("%w: %w", ErrNotLoaded, err)
	}
	return err
}
