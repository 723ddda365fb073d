package conntrack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	ct "github.com/florianl/go-conntrack"
	"github.com/mdlayher/netlink"
	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/sys/unix"
)

// conntrackOpen opens a ctnetlink socket inside ns. go-conntrack's
// Config.NetNS makes mdlayher/netlink create the socket in the netns, so it
// can be used from any goroutine afterwards.
func conntrackOpen(ns *nsutil.NetNS) (*ct.Nfct, error) {
	nf, err := ct.Open(&ct.Config{NetNS: ns.Fd()})
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("open conntrack netlink in netns %s: needs CAP_NET_ADMIN: run as root: %w", ns.Path(), err)
		}
		if errors.Is(err, unix.EPROTONOSUPPORT) {
			return nil, ErrUnavailable
		}
		return nil, fmt.Errorf("open conntrack netlink in netns %s: %w", ns.Path(), err)
	}
	return nf, nil
}

// conntrackRecv reads datagrams from nf's socket through the runtime poller
// and hands each to fn until fn reports done. The buffer is reused, so
// memory stays bounded however many entries the kernel sends.
func conntrackRecv(nf *ct.Nfct, fn func([]byte) (done bool, err error)) error {
	rc, err := nf.Con.SyscallConn()
	if err != nil {
		return fmt.Errorf("get raw netlink socket: %w", err)
	}
	buf := make([]byte, ctRecvBufSize)
	for {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			return !errors.Is(rerr, unix.EAGAIN) && !errors.Is(rerr, unix.EINTR)
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			return err
		}
		done, err := fn(buf[:n])
		if err != nil || done {
			return err
		}
	}
}

// conntrackDumpReplies reads the replies to the dump request seq and hands
// every data message to fn, until NLMSG_DONE; an NLMSG_ERROR ends it with
// that errno.
func conntrackDumpReplies(nf *ct.Nfct, seq uint32, fn func(ctNlMessage) error) error {
	return conntrackRecv(nf, func(b []byte) (bool, error) {
		done := false
		err := ctNlSplit(b, func(m ctNlMessage) error {
			if m.seq != seq || done {
				return nil
			}
			switch m.typ {
			case unix.NLMSG_DONE:
				done = true
				return nil
			case unix.NLMSG_ERROR:
				errno, err := ctErrno(m.body)
				if err != nil {
					return err
				}
				if errno != 0 {
					return conntrackExplain(errno)
				}
				return nil
			}
			return fn(m)
		})
		return done, err
	})
}

// ctErrno extracts the errno of an NLMSG_ERROR payload (0 is an ack).
func ctErrno(body []byte) (unix.Errno, error) {
	if len(body) < 4 {
		return 0, fmt.Errorf("truncated netlink error message")
	}
	return unix.Errno(-int32(binary.NativeEndian.Uint32(body))), nil
}

// Dump streams the conntrack table of netns ns and calls fn for
// each entry that passes filter, in kernel order; fn may return
// Stop. Entries are decoded one datagram at a time, so memory does
// not grow with the table. Equivalent to: `conntrack -L` (both families
// unless the filter names one).
func Dump(ns *nsutil.NetNS, filter Filter, fn func(Entry) error) error {
	nf, err := conntrackOpen(ns)
	if err != nil {
		return fmt.Errorf("dump conntrack: %w", err)
	}
	defer nf.Close()
	req := netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(ctSubsys<<8 | ctMsgGet),
			Flags: netlink.Request | netlink.Dump,
		},
		Data: []byte{filter.Family, unix.NFNETLINK_V0, 0, 0},
	}
	sent, err := nf.Con.Send(req)
	if err != nil {
		return fmt.Errorf("dump conntrack: send request: %w", conntrackExplain(err))
	}
	var e Entry
	err = conntrackDumpReplies(nf, sent.Header.Sequence, func(m ctNlMessage) error {
		if m.typ != ctSubsys<<8|ctMsgNew {
			return nil
		}
		if err := ParseMessage(m.body, &e); err != nil {
			return err
		}
		if !filter.Match(&e) {
			return nil
		}
		return fn(e)
	})
	if errors.Is(err, Stop) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dump conntrack: %w", err)
	}
	return nil
}

func conntrackExplain(err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("needs CAP_NET_ADMIN: run as root: %w", err)
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EPROTONOSUPPORT):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// Events subscribes to the conntrack event groups of netns ns and
// calls fn for each event passing filter until ctx ends or fn returns
// Stop. Lost events (the kernel's ENOBUFS) are reported through
// lost, if not nil, and the stream continues. Equivalent to: `conntrack -E`.
func Events(ctx context.Context, ns *nsutil.NetNS, filter Filter, fn func(Event) error, lost func()) error {
	nf, err := conntrackOpen(ns)
	if err != nil {
		return fmt.Errorf("watch conntrack events: %w", err)
	}
	defer nf.Close()
	_ = nf.Con.SetReadBuffer(4 << 20)
	for _, g := range []uint32{ctGroupNew, ctGroupUpdate, ctGroupDestroy} {
		if err := nf.Con.JoinGroup(g); err != nil {
			return fmt.Errorf("watch conntrack events: join group %d: %w", g, conntrackExplain(err))
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = nf.Con.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	if ctx.Err() != nil {
		return nil
	}
	var ev Event
	for {
		err = conntrackRecv(nf, func(b []byte) (bool, error) {
			return false, ctNlSplit(b, func(m ctNlMessage) error {
				switch m.typ {
				case ctSubsys<<8 | ctMsgNew:
					ev.Type = "UPDATE"
					if m.flags&(unix.NLM_F_CREATE|unix.NLM_F_EXCL) != 0 {
						ev.Type = "NEW"
					}
				case ctSubsys<<8 | ctMsgDelete:
					ev.Type = "DESTROY"
				default:
					return nil
				}
				if err := ParseMessage(m.body, &ev.Entry); err != nil {
					return err
				}
				if !filter.Match(&ev.Entry) {
					return nil
				}
				return fn(ev)
			})
		})
		if errors.Is(err, unix.ENOBUFS) {
			if lost != nil {
				lost()
			}
			continue
		}
		break
	}
	switch {
	case errors.Is(err, Stop), ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded):
		return nil
	case err != nil:
		return fmt.Errorf("watch conntrack events: %w", err)
	}
	return nil
}

// Delete deletes each entry (as returned by Dump) from
// the table of netns ns, matching it by original tuple and conntrack ID so
// a newer connection reusing the tuple is left alone. It stops at the first
// error other than "already gone". Equivalent to: `conntrack -D` with
// filters, one entry at a time.
func Delete(ns *nsutil.NetNS, entries []Entry) ([]Deleted, error) {
	nf, err := conntrackOpen(ns)
	if err != nil {
		return nil, fmt.Errorf("delete conntrack entries: %w", err)
	}
	defer nf.Close()
	var out []Deleted
	for _, e := range entries {
		fam := ct.IPv4
		if e.Family == conntrackAFInet6 {
			fam = ct.IPv6
		}
		id := e.ID
		con := ct.Con{Origin: conntrackLibTuple(e.Proto, &e.Orig), ID: &id}
		if e.HasZone {
			z := e.Zone
			con.Zone = &z
		}
		err := nf.Delete(ct.Conntrack, fam, con)
		switch {
		case err == nil:
			out = append(out, Deleted{Entry: e})
		case conntrackIsENOENT(err):
			out = append(out, Deleted{Entry: e, Gone: true})
		default:
			return out, fmt.Errorf("delete conntrack entry %s: %w", e.String(), conntrackExplain(err))
		}
	}
	return out, nil
}

// conntrackIsENOENT recognises "no such entry"; go-conntrack reports a
// netlink error reply as formatted text rather than an errno.
func conntrackIsENOENT(err error) bool {
	if errors.Is(err, unix.ENOENT) {
		return true
	}
	return strings.Contains(err.Error(), "Code:-"+strconv.Itoa(int(syscall.ENOENT))+",")
}

// conntrackLibTuple converts a tuple to go-conntrack's form for requests.
func conntrackLibTuple(proto uint8, t *Tuple) *ct.IPTuple {
	src, dst := net.IP(t.Src.AsSlice()), net.IP(t.Dst.AsSlice())
	p := proto
	pt := &ct.ProtoTuple{Number: &p}
	if t.HasPorts {
		sp, dp := t.SrcPort, t.DstPort
		pt.SrcPort, pt.DstPort = &sp, &dp
	}
	if t.HasICMP {
		id, typ, code := t.ICMPID, t.ICMPType, t.ICMPCode
		if proto == conntrackICMPv6 {
			pt.Icmpv6ID, pt.Icmpv6Type, pt.Icmpv6Code = &id, &typ, &code
		} else {
			pt.IcmpID, pt.IcmpType, pt.IcmpCode = &id, &typ, &code
		}
	}
	return &ct.IPTuple{Src: &src, Dst: &dst, Proto: pt}
}

// ReadStats reads count, max and per-CPU statistics of netns ns.
// The per-CPU values come from ctnetlink (IPCTNL_MSG_CT_GET_STATS_CPU), or
// from /proc/net/stat/nf_conntrack when netlink refuses. Count and max come
// from /proc/sys/net/netfilter/nf_conntrack_{count,max} read inside ns; max
// is global and some kernels hide it from non-initial namespaces.
// Equivalent to: `conntrack -S` and `conntrack -C`.
func ReadStats(ns *nsutil.NetNS) (Stats, error) {
	var st Stats
	var procStats []byte
	err := ns.Do(func() error {
		b, err := hostfile.ReadFile("/proc/sys/net/netfilter/nf_conntrack_count", maxProcValue)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return ErrUnavailable
			}
			return fmt.Errorf("read nf_conntrack_count: %w", err)
		}
		if st.Count, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err != nil {
			return fmt.Errorf("read nf_conntrack_count: %w", err)
		}
		if b, err := hostfile.ReadFile("/proc/sys/net/netfilter/nf_conntrack_max", maxProcValue); err == nil {
			if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
				st.Max, st.HasMax = v, true
			}
		}
		procStats, _ = hostfile.ReadFile("/proc/thread-self/net/stat/nf_conntrack", maxProcTable)
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("read conntrack stats of netns %s: %w", ns.Path(), err)
	}
	cpus, nlErr := conntrackCPUStatsNetlink(ns)
	if nlErr == nil {
		st.CPUs, st.Source = cpus, "netlink"
		return st, nil
	}
	if procStats == nil {
		return st, fmt.Errorf("read conntrack stats of netns %s: %w", ns.Path(), nlErr)
	}
	cpus, _, err = ParseProcStats(procStats)
	if err != nil {
		return st, fmt.Errorf("read conntrack stats of netns %s: %w", ns.Path(), err)
	}
	st.CPUs, st.Source = cpus, "/proc/net/stat/nf_conntrack"
	return st, nil
}

func conntrackCPUStatsNetlink(ns *nsutil.NetNS) ([]CPUStats, error) {
	nf, err := conntrackOpen(ns)
	if err != nil {
		return nil, err
	}
	defer nf.Close()
	sent, err := nf.Con.Send(netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(ctSubsys<<8 | ctMsgGetStatsCPU),
			Flags: netlink.Request | netlink.Dump,
		},
		Data: []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	})
	if err != nil {
		return nil, conntrackExplain(err)
	}
	_ = nf.Con.SetReadDeadline(time.Now().Add(10 * time.Second))
	var out []CPUStats
	err = conntrackDumpReplies(nf, sent.Header.Sequence, func(m ctNlMessage) error {
		s, err := ParseCPUStats(m.body)
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// Bounds of what is read of one /proc file: a value (a count), or a table
// of per-CPU statistics.
const (
	maxProcValue = 64 << 10
	maxProcTable = 16 << 20
)
