package nftrace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

// Values golang.org/x/sys/unix does not name.
const (
	nfnlgrpNFTrace = 9   // enum nfnetlink_groups: NFNLGRP_NFTRACE
	tableFlagOwner = 0x2 // NFT_TABLE_F_OWNER, Linux 5.12
	nftaTableOwner = 7   // NFTA_TABLE_OWNER
	nlmFAppend     = 0x800
)

// Session is a trace in one netns: the table that marks packets, and the
// socket the trace events arrive on.
type Session struct {
	ctrl   *netlink.Conn // owns the table: closing it deletes the table
	events *netlink.Conn
	table  string
	ns     *nsutil.NetNS
}

// Start adds the marking table for f to ns and subscribes to trace events
// there. The caller must Close the session; the kernel deletes the table
// anyway when the process ends.
func Start(ns *nsutil.NetNS, f Filter) (*Session, error) {
	rules, err := f.rules()
	if err != nil {
		return nil, err
	}
	cfg := &netlink.Config{NetNS: ns.Fd()}
	// Subscribe first, so that the first marked packet is not missed.
	events, err := netlink.Dial(unix.NETLINK_NETFILTER, cfg)
	if err != nil {
		return nil, fmt.Errorf("open netfilter netlink socket in %s: %w", ns.Path(), explain(err))
	}
	if err := events.JoinGroup(nfnlgrpNFTrace); err != nil {
		events.Close()
		return nil, fmt.Errorf("subscribe to nftables trace events: %w", explain(err))
	}
	_ = events.SetReadBuffer(8 << 20)
	ctrl, err := netlink.Dial(unix.NETLINK_NETFILTER, cfg)
	if err != nil {
		events.Close()
		return nil, fmt.Errorf("open netfilter netlink socket in %s: %w", ns.Path(), explain(err))
	}
	s := &Session{ctrl: ctrl, events: events, table: TableName(os.Getpid()), ns: ns}
	if err := s.addTable(rules); err != nil {
		s.closeSockets()
		return nil, err
	}
	if err := s.checkOwned(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Table is the name of the session's table (family inet).
func (s *Session) Table() string { return s.table }

// ErrNoOwnerTables says the kernel cannot tie a table to its socket, so
// a killed trace would leave its table behind.
var ErrNoOwnerTables = errors.New("this kernel has no owner tables (NFT_TABLE_F_OWNER, Linux 5.12+): a trace could leave its table behind if killed, so netdiag does not start one")

func (s *Session) addTable(rules [][]expr.Any) error {
	var msgs []netlink.Message
	add := func(typ uint16, flags netlink.HeaderFlags, ae *netlink.AttributeEncoder) error {
		b, err := ae.Encode()
		if err != nil {
			return err
		}
		msgs = append(msgs, netlink.Message{
			Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ), Flags: netlink.Request | netlink.Acknowledge | flags},
			Data:   append([]byte{unix.NFPROTO_INET, unix.NFNETLINK_V0, 0, 0}, b...),
		})
		return nil
	}
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.String(unix.NFTA_TABLE_NAME, s.table)
	ae.Uint32(unix.NFTA_TABLE_FLAGS, tableFlagOwner)
	if err := add(unix.NFT_MSG_NEWTABLE, netlink.Create|netlink.Excl, ae); err != nil {
		return err
	}
	for _, ch := range []struct {
		name string
		hook uint32
	}{{"prerouting", unix.NF_INET_PRE_ROUTING}, {"output", unix.NF_INET_LOCAL_OUT}} {
		ae := netlink.NewAttributeEncoder()
		ae.ByteOrder = binary.BigEndian
		ae.String(unix.NFTA_CHAIN_TABLE, s.table)
		ae.String(unix.NFTA_CHAIN_NAME, ch.name)
		ae.Nested(unix.NFTA_CHAIN_HOOK, func(nae *netlink.AttributeEncoder) error {
			nae.Uint32(unix.NFTA_HOOK_HOOKNUM, ch.hook)
			nae.Int32(unix.NFTA_HOOK_PRIORITY, Priority)
			return nil
		})
		ae.String(unix.NFTA_CHAIN_TYPE, "filter")
		ae.Uint32(unix.NFTA_CHAIN_POLICY, 1) // accept: the table only marks
		if err := add(unix.NFT_MSG_NEWCHAIN, netlink.Create, ae); err != nil {
			return err
		}
		for _, r := range rules {
			ae := netlink.NewAttributeEncoder()
			ae.ByteOrder = binary.BigEndian
			ae.String(unix.NFTA_RULE_TABLE, s.table)
			ae.String(unix.NFTA_RULE_CHAIN, ch.name)
			var list []netlink.Attribute
			for _, e := range r {
				b, err := expr.Marshal(unix.NFPROTO_INET, e)
				if err != nil {
					return fmt.Errorf("encode trace rule: %w", err)
				}
				list = append(list, netlink.Attribute{Type: unix.NLA_F_NESTED | unix.NFTA_LIST_ELEM, Data: b})
			}
			lb, err := netlink.MarshalAttributes(list)
			if err != nil {
				return err
			}
			ae.Do(unix.NLA_F_NESTED|unix.NFTA_RULE_EXPRESSIONS, func() ([]byte, error) { return lb, nil })
			if err := add(unix.NFT_MSG_NEWRULE, netlink.Create|nlmFAppend, ae); err != nil {
				return err
			}
		}
	}
	if err := s.batch(msgs); err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) {
			return ErrNoOwnerTables
		}
		return fmt.Errorf("add table inet %s: %w", s.table, explain(err))
	}
	return nil
}

// batch sends nf_tables messages in one transaction (table changes are
// only accepted inside NFNL_MSG_BATCH_BEGIN/END) and waits for the
// acknowledgement of each, or the error of the one that failed.
func (s *Session) batch(msgs []netlink.Message) error {
	b := make([]netlink.Message, 0, len(msgs)+2)
	b = append(b, netlink.Message{Header: netlink.Header{Type: unix.NFNL_MSG_BATCH_BEGIN, Flags: netlink.Request},
		Data: []byte{0, unix.NFNETLINK_V0, 0, unix.NFNL_SUBSYS_NFTABLES}})
	b = append(b, msgs...)
	b = append(b, netlink.Message{Header: netlink.Header{Type: unix.NFNL_MSG_BATCH_END, Flags: netlink.Request},
		Data: []byte{0, unix.NFNETLINK_V0, 0, unix.NFNL_SUBSYS_NFTABLES}})
	if _, err := s.ctrl.SendMessages(b); err != nil {
		return err
	}
	for acked := 0; acked < len(msgs); {
		replies, err := s.ctrl.Receive()
		if err != nil {
			return err
		}
		if len(replies) == 0 {
			break
		}
		for _, m := range replies {
			if m.Header.Type == netlink.Error {
				acked++
			}
		}
	}
	return nil
}

// checkOwned reads the table back: it must be owned by this session's
// socket, or nothing guarantees that it goes away.
func (s *Session) checkOwned() error {
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_TABLE_NAME, s.table)
	b, err := ae.Encode()
	if err != nil {
		return err
	}
	msgs, err := s.ctrl.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETTABLE), Flags: netlink.Request},
		Data:   append([]byte{unix.NFPROTO_INET, unix.NFNETLINK_V0, 0, 0}, b...),
	})
	if err != nil {
		return fmt.Errorf("read back table inet %s: %w", s.table, explain(err))
	}
	for _, m := range msgs {
		if len(m.Data) < nfgenmsgLen {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[nfgenmsgLen:])
		if err != nil {
			continue
		}
		ad.ByteOrder = binary.BigEndian
		var flags, owner uint32
		for ad.Next() {
			switch ad.Type() {
			case unix.NFTA_TABLE_FLAGS:
				flags = ad.Uint32()
			case nftaTableOwner:
				owner = ad.Uint32()
			}
		}
		if flags&tableFlagOwner != 0 && owner != 0 && owner == portID(s.ctrl) {
			return nil
		}
	}
	return ErrNoOwnerTables
}

// portID is the netlink port a socket is bound to (getsockname).
func portID(c *netlink.Conn) uint32 {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	var pid uint32
	_ = rc.Control(func(fd uintptr) {
		if sa, err := unix.Getsockname(int(fd)); err == nil {
			if nl, ok := sa.(*unix.SockaddrNetlink); ok {
				pid = nl.Pid
			}
		}
	})
	return pid
}

// Read waits at most timeout for trace events and returns those that
// arrived (none on timeout). Lost events (a full socket) are reported
// by an error wrapping ErrLost; reading can go on after it.
func (s *Session) Read(timeout time.Duration) ([]Event, error) {
	_ = s.events.SetReadDeadline(time.Now().Add(timeout))
	msgs, err := s.events.Receive()
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
			return nil, nil
		case errors.Is(err, unix.ENOBUFS):
			return nil, ErrLost
		}
		return nil, fmt.Errorf("receive nftables trace events: %w", err)
	}
	var out []Event
	for _, m := range msgs {
		if m.Header.Type != netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_TRACE) {
			continue
		}
		e, err := DecodeEvent(m.Data)
		if err != nil {
			continue
		}
		if e.Family == "inet" && e.Table == s.table {
			continue // the marking table itself
		}
		out = append(out, e)
	}
	return out, nil
}

// Close deletes the table and closes the sockets. Closing the owning
// socket deletes the table as well; the explicit delete says whether it
// worked.
func (s *Session) Close() error {
	if s.ctrl == nil {
		return nil
	}
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_TABLE_NAME, s.table)
	b, _ := ae.Encode()
	err := s.batch([]netlink.Message{{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_DELTABLE), Flags: netlink.Request | netlink.Acknowledge},
		Data:   append([]byte{unix.NFPROTO_INET, unix.NFNETLINK_V0, 0, 0}, b...),
	}})
	s.closeSockets()
	if err != nil {
		return fmt.Errorf("delete table inet %s: %w", s.table, explain(err))
	}
	return nil
}

func (s *Session) closeSockets() {
	if s.ctrl != nil {
		s.ctrl.Close()
		s.ctrl = nil
	}
	if s.events != nil {
		s.events.Close()
		s.events = nil
	}
}

func explain(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w: needs CAP_NET_ADMIN: run as root", err)
	}
	return err
}
