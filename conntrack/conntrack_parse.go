package conntrack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ctnetlink message types (enum cntl_msg_types) and multicast groups.
const (
	ctMsgNew         = 0
	ctMsgGet         = 1
	ctMsgDelete      = 2
	ctMsgGetStatsCPU = 4
	ctSubsys         = 1 // NFNL_SUBSYS_CTNETLINK
	ctGroupNew       = 1 // NFNLGRP_CONNTRACK_NEW
	ctGroupUpdate    = 2
	ctGroupDestroy   = 3
	// One recvmsg of a dump never holds more than 32 KiB (netlink_recvmsg
	// caps max_recvmsg_len); events are single messages.
	ctRecvBufSize = 64 << 10
)

// ctnetlink attribute numbers (linux/netfilter/nfnetlink_conntrack.h).
const (
	ctaTupleOrig      = 1
	ctaTupleReply     = 2
	ctaStatus         = 3
	ctaProtoinfo      = 4
	ctaHelp           = 5
	ctaTimeout        = 7
	ctaMark           = 8
	ctaCountersOrig   = 9
	ctaCountersReply  = 10
	ctaUse            = 11
	ctaID             = 12
	ctaSecmark        = 17
	ctaZone           = 18
	ctaSecCtx         = 19
	ctaTupleIP        = 1
	ctaTupleProto     = 2
	ctaTupleZone      = 3
	ctaIPv4Src        = 1
	ctaIPv4Dst        = 2
	ctaIPv6Src        = 3
	ctaIPv6Dst        = 4
	ctaProtoNum       = 1
	ctaProtoSrcPort   = 2
	ctaProtoDstPort   = 3
	ctaProtoICMPID    = 4
	ctaProtoICMPType  = 5
	ctaProtoICMPCode  = 6
	ctaProtoICMPv6ID  = 7
	ctaProtoICMPv6Typ = 8
	ctaProtoICMPv6Cod = 9
	ctaProtoinfoTCP   = 1
	ctaProtoinfoDCCP  = 2
	ctaProtoinfoSCTP  = 3
	ctaCountersPkts   = 1
	ctaCountersBytes  = 2
	ctaCounters32Pkts = 3
	ctaCounters32Byte = 4
	ctaHelpName       = 1
	ctaSecCtxName     = 1
	ctNlAttrTypeMask  = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
	ctNfgenLen        = 4      // struct nfgenmsg
	ctNlmsgHdrLen     = 16
)

var errConntrackTruncated = errors.New("truncated attribute")

// ctAttrs iterates over netlink attributes; it never reads out of bounds.
type ctAttrs struct {
	b   []byte
	typ uint16
	val []byte
	err error
}

func (a *ctAttrs) next() bool {
	if len(a.b) == 0 || a.err != nil {
		return false
	}
	if len(a.b) < 4 {
		a.err = errConntrackTruncated
		return false
	}
	l := int(binary.NativeEndian.Uint16(a.b))
	if l < 4 || l > len(a.b) {
		a.err = fmt.Errorf("%w: length %d of %d bytes", errConntrackTruncated, l, len(a.b))
		return false
	}
	a.typ = binary.NativeEndian.Uint16(a.b[2:]) & ctNlAttrTypeMask
	a.val = a.b[4:l]
	adv := (l + 3) &^ 3
	if adv > len(a.b) {
		adv = len(a.b)
	}
	a.b = a.b[adv:]
	return true
}

func ctBE16(v []byte) (uint16, bool) {
	if len(v) < 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

func ctBE32(v []byte) (uint32, bool) {
	if len(v) < 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

func ctBE64(v []byte) (uint64, bool) {
	if len(v) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

func ctString(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}

// ParseMessage decodes the payload of one ctnetlink conntrack
// message (after the netlink header: struct nfgenmsg, then attributes) into
// e, which it resets first. Unknown attributes are skipped; malformed ones
// give an error, never a panic.
func ParseMessage(b []byte, e *Entry) error {
	*e = Entry{}
	if len(b) < ctNfgenLen {
		return fmt.Errorf("parse conntrack message: %d bytes, shorter than nfgenmsg", len(b))
	}
	e.Family = b[0]
	a := ctAttrs{b: b[ctNfgenLen:]}
	for a.next() {
		v := a.val
		var ok = true
		switch a.typ {
		case ctaTupleOrig:
			if err := ctParseTuple(v, &e.Orig, &e.Proto); err != nil {
				return fmt.Errorf("parse conntrack original tuple: %w", err)
			}
		case ctaTupleReply:
			if err := ctParseTuple(v, &e.Reply, &e.Proto); err != nil {
				return fmt.Errorf("parse conntrack reply tuple: %w", err)
			}
		case ctaStatus:
			e.Status, ok = ctBE32(v)
			e.HasStatus = ok
		case ctaProtoinfo:
			if err := ctParseProtoinfo(v, e); err != nil {
				return fmt.Errorf("parse conntrack protoinfo: %w", err)
			}
		case ctaHelp:
			h := ctAttrs{b: v}
			for h.next() {
				if h.typ == ctaHelpName {
					e.Helper = ctString(h.val)
				}
			}
			if h.err != nil {
				return fmt.Errorf("parse conntrack helper: %w", h.err)
			}
		case ctaTimeout:
			e.Timeout, ok = ctBE32(v)
			e.HasTimeout = ok
		case ctaMark:
			e.Mark, ok = ctBE32(v)
			e.HasMark = ok
		case ctaSecmark:
			e.Secmark, ok = ctBE32(v)
			e.HasSecmark = ok
		case ctaCountersOrig:
			if err := ctParseCounters(v, &e.Orig); err != nil {
				return fmt.Errorf("parse conntrack counters: %w", err)
			}
		case ctaCountersReply:
			if err := ctParseCounters(v, &e.Reply); err != nil {
				return fmt.Errorf("parse conntrack counters: %w", err)
			}
		case ctaUse:
			e.Use, ok = ctBE32(v)
			e.HasUse = ok
		case ctaID:
			e.ID, ok = ctBE32(v)
		case ctaZone:
			e.Zone, ok = ctBE16(v)
			e.HasZone = ok
		case ctaSecCtx:
			s := ctAttrs{b: v}
			for s.next() {
				if s.typ == ctaSecCtxName {
					e.SecCtx = ctString(s.val)
				}
			}
			if s.err != nil {
				return fmt.Errorf("parse conntrack secctx: %w", s.err)
			}
		}
		if !ok {
			return fmt.Errorf("parse conntrack attribute %d: %w: %d bytes", a.typ, errConntrackTruncated, len(v))
		}
	}
	if a.err != nil {
		return fmt.Errorf("parse conntrack message: %w", a.err)
	}
	return nil
}

func ctParseTuple(b []byte, t *Tuple, proto *uint8) error {
	a := ctAttrs{b: b}
	for a.next() {
		switch a.typ {
		case ctaTupleIP:
			ip := ctAttrs{b: a.val}
			for ip.next() {
				v := ip.val
				switch ip.typ {
				case ctaIPv4Src, ctaIPv4Dst:
					if len(v) < 4 {
						return errConntrackTruncated
					}
					addr := netip.AddrFrom4([4]byte(v[:4]))
					if ip.typ == ctaIPv4Src {
						t.Src = addr
					} else {
						t.Dst = addr
					}
				case ctaIPv6Src, ctaIPv6Dst:
					if len(v) < 16 {
						return errConntrackTruncated
					}
					addr := netip.AddrFrom16([16]byte(v[:16]))
					if ip.typ == ctaIPv6Src {
						t.Src = addr
					} else {
						t.Dst = addr
					}
				}
			}
			if ip.err != nil {
				return ip.err
			}
		case ctaTupleProto:
			p := ctAttrs{b: a.val}
			for p.next() {
				v := p.val
				ok := true
				switch p.typ {
				case ctaProtoNum:
					if len(v) < 1 {
						return errConntrackTruncated
					}
					*proto = v[0]
				case ctaProtoSrcPort:
					t.SrcPort, ok = ctBE16(v)
					t.HasPorts = true
				case ctaProtoDstPort:
					t.DstPort, ok = ctBE16(v)
					t.HasPorts = true
				case ctaProtoICMPID, ctaProtoICMPv6ID:
					t.ICMPID, ok = ctBE16(v)
					t.HasICMP = true
				case ctaProtoICMPType, ctaProtoICMPv6Typ:
					ok = len(v) >= 1
					if ok {
						t.ICMPType = v[0]
					}
					t.HasICMP = true
				case ctaProtoICMPCode, ctaProtoICMPv6Cod:
					ok = len(v) >= 1
					if ok {
						t.ICMPCode = v[0]
					}
					t.HasICMP = true
				}
				if !ok {
					return errConntrackTruncated
				}
			}
			if p.err != nil {
				return p.err
			}
		case ctaTupleZone:
			z, ok := ctBE16(a.val)
			if !ok {
				return errConntrackTruncated
			}
			t.Zone, t.HasZone = z, true
		}
	}
	if a.err != nil {
		return a.err
	}
	// GRE keys travel in the port attributes, but conntrack prints no ports for GRE.
	switch *proto {
	case conntrackTCP, conntrackUDP, conntrackUDPLite, conntrackSCTP, conntrackDCCP:
	default:
		t.HasPorts = false
	}
	return nil
}

func ctParseProtoinfo(b []byte, e *Entry) error {
	a := ctAttrs{b: b}
	for a.next() {
		switch a.typ {
		case ctaProtoinfoTCP, ctaProtoinfoDCCP, ctaProtoinfoSCTP:
			// The state is the first attribute (type 1, u8) in all three.
			s := ctAttrs{b: a.val}
			for s.next() {
				if s.typ == 1 {
					if len(s.val) < 1 {
						return errConntrackTruncated
					}
					e.State, e.HasState = s.val[0], true
				}
			}
			if s.err != nil {
				return s.err
			}
		}
	}
	return a.err
}

func ctParseCounters(b []byte, t *Tuple) error {
	a := ctAttrs{b: b}
	for a.next() {
		var ok bool
		switch a.typ {
		case ctaCountersPkts:
			t.Packets, ok = ctBE64(a.val)
		case ctaCountersBytes:
			t.Bytes, ok = ctBE64(a.val)
		case ctaCounters32Pkts:
			var v uint32
			v, ok = ctBE32(a.val)
			t.Packets = uint64(v)
		case ctaCounters32Byte:
			var v uint32
			v, ok = ctBE32(a.val)
			t.Bytes = uint64(v)
		default:
			continue
		}
		if !ok {
			return errConntrackTruncated
		}
		t.HasCounters = true
	}
	return a.err
}

// ctaStats* are enum ctattr_stats_cpu; names as conntrack -S prints them.
var conntrackStatAttrNames = map[uint16]string{
	2: "found", 4: "invalid", 5: "ignore", 8: "insert", 9: "insert_failed", 10: "drop",
	11: "early_drop", 12: "error", 13: "search_restart", 14: "clash_resolve", 15: "chaintoolong",
}

// ParseCPUStats decodes the payload of one IPCTNL_MSG_CT_GET_STATS_CPU
// reply (nfgenmsg, whose res_id is the CPU, then u32 attributes).
func ParseCPUStats(b []byte) (CPUStats, error) {
	if len(b) < ctNfgenLen {
		return CPUStats{}, fmt.Errorf("parse conntrack cpu stats: %d bytes, shorter than nfgenmsg", len(b))
	}
	s := CPUStats{CPU: int(binary.BigEndian.Uint16(b[2:]))}
	a := ctAttrs{b: b[ctNfgenLen:]}
	for a.next() {
		name, known := conntrackStatAttrNames[a.typ]
		if !known || name == "ignore" {
			continue // conntrack -S does not print ignore (always 0 since 5.x)
		}
		v, ok := ctBE32(a.val)
		if !ok {
			return CPUStats{}, fmt.Errorf("parse conntrack cpu stats: %s: %w", name, errConntrackTruncated)
		}
		s.Values = append(s.Values, Stat{Name: name, Value: uint64(v)})
	}
	if a.err != nil {
		return CPUStats{}, fmt.Errorf("parse conntrack cpu stats: %w", a.err)
	}
	conntrackSortStats(s.Values)
	return s, nil
}

// conntrackProcStatNames maps the header of /proc/net/stat/nf_conntrack to
// conntrack -S names; columns not listed are not shown by conntrack -S.
var conntrackProcStatNames = map[string]string{
	"found": "found", "invalid": "invalid", "insert": "insert", "insert_failed": "insert_failed",
	"drop": "drop", "early_drop": "early_drop", "icmp_error": "error",
	"search_restart": "search_restart", "clashres": "clash_resolve", "chainlength": "chaintoolong",
}

// ParseProcStats parses /proc/net/stat/nf_conntrack: a header line
// naming the columns (which vary by kernel) and one line of hex values per
// possible CPU. It returns the per-CPU counters and the "entries" column
// (the same count on every line).
func ParseProcStats(b []byte) ([]CPUStats, uint64, error) {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) < 1 || strings.TrimSpace(lines[0]) == "" {
		return nil, 0, fmt.Errorf("parse nf_conntrack stats: empty")
	}
	header := strings.Fields(lines[0])
	var out []CPUStats
	var entries uint64
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != len(header) {
			return nil, 0, fmt.Errorf("parse nf_conntrack stats: line %d has %d columns, header has %d", i+2, len(f), len(header))
		}
		s := CPUStats{CPU: i}
		for j, h := range header {
			v, err := strconv.ParseUint(f[j], 16, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("parse nf_conntrack stats: line %d column %s: bad hex %q", i+2, h, clip(f[j]))
			}
			if h == "entries" {
				entries = v
			}
			if name, ok := conntrackProcStatNames[h]; ok {
				s.Values = append(s.Values, Stat{Name: name, Value: v})
			}
		}
		conntrackSortStats(s.Values)
		out = append(out, s)
	}
	return out, entries, nil
}

// ctNlMessage is one netlink message of a datagram.
type ctNlMessage struct {
	typ, flags uint16
	seq        uint32
	body       []byte
}

// ctNlSplit calls fn for each netlink message in one datagram.
func ctNlSplit(b []byte, fn func(ctNlMessage) error) error {
	for len(b) > 0 {
		if len(b) < ctNlmsgHdrLen {
			return fmt.Errorf("truncated netlink header (%d bytes)", len(b))
		}
		l := binary.NativeEndian.Uint32(b)
		if l < ctNlmsgHdrLen || uint64(l) > uint64(len(b)) {
			return fmt.Errorf("bad netlink message length %d (have %d bytes)", l, len(b))
		}
		m := ctNlMessage{
			typ:   binary.NativeEndian.Uint16(b[4:]),
			flags: binary.NativeEndian.Uint16(b[6:]),
			seq:   binary.NativeEndian.Uint32(b[8:]),
			body:  b[ctNlmsgHdrLen:l],
		}
		adv := (int(l) + 3) &^ 3
		if adv > len(b) {
			adv = len(b)
		}
		b = b[adv:]
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// clip shortens untrusted text for an error message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
