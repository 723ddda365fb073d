package conntrack

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Entry is one connection tracking entry. The zero value of an
// optional field means the kernel did not send it; Has* say which were sent.
type Entry struct {
	Family     uint8  `json:"-"` // AF_INET or AF_INET6
	Proto      uint8  `json:"protoNum"`
	Timeout    uint32 `json:"timeout"` // seconds left
	HasTimeout bool   `json:"-"`
	State      uint8  `json:"-"` // protocol state (TCP, SCTP, DCCP) when HasState
	HasState   bool   `json:"-"`
	Orig       Tuple  `json:"original"`
	Reply      Tuple  `json:"reply"`
	Status     uint32 `json:"status"` // IPS_* bits
	HasStatus  bool   `json:"-"`
	Mark       uint32 `json:"mark"`
	HasMark    bool   `json:"-"`
	Secmark    uint32 `json:"secmark,omitempty"`
	HasSecmark bool   `json:"-"`
	Zone       uint16 `json:"zone,omitempty"`
	HasZone    bool   `json:"-"`
	Use        uint32 `json:"use"`
	HasUse     bool   `json:"-"`
	ID         uint32 `json:"id"`
	SecCtx     string `json:"secctx,omitempty"`
	Helper     string `json:"helper,omitempty"`
}

// Tuple is one direction of a connection. Ports are set for TCP,
// UDP, UDP-Lite, SCTP and DCCP; the ICMP fields for ICMP and ICMPv6.
type Tuple struct {
	Src      netip.Addr `json:"src"`
	Dst      netip.Addr `json:"dst"`
	SrcPort  uint16     `json:"sport,omitempty"`
	DstPort  uint16     `json:"dport,omitempty"`
	ICMPType uint8      `json:"icmpType,omitempty"`
	ICMPCode uint8      `json:"icmpCode,omitempty"`
	ICMPID   uint16     `json:"icmpId,omitempty"`
	HasPorts bool       `json:"-"`
	HasICMP  bool       `json:"-"`
	Zone     uint16     `json:"zone,omitempty"` // CTA_TUPLE_ZONE, directional zones
	HasZone  bool       `json:"-"`
	// Packets and Bytes are the direction's counters when nf_conntrack_acct is on.
	Packets     uint64 `json:"packets,omitempty"`
	Bytes       uint64 `json:"bytes,omitempty"`
	HasCounters bool   `json:"-"`
}

// Conntrack status bits (enum ip_conntrack_status).
const (
	SeenReply = 1 << 1
	Assured   = 1 << 2
	SrcNAT    = 1 << 4
	DstNAT    = 1 << 5
	Offload   = 1 << 14
	HWOffload = 1 << 15
)

// Protocol numbers used below.
const (
	conntrackICMP    = 1
	conntrackTCP     = 6
	conntrackUDP     = 17
	conntrackDCCP    = 33
	conntrackGRE     = 47
	conntrackICMPv6  = 58
	conntrackSCTP    = 132
	conntrackUDPLite = 136
)

// ProtoName is conntrack-tools' name for an L4 protocol number.
func ProtoName(p uint8) string {
	switch p {
	case conntrackTCP:
		return "tcp"
	case conntrackUDP:
		return "udp"
	case conntrackICMP:
		return "icmp"
	case conntrackICMPv6:
		return "icmpv6"
	case conntrackSCTP:
		return "sctp"
	case conntrackDCCP:
		return "dccp"
	case conntrackGRE:
		return "gre"
	case conntrackUDPLite:
		return "udplite"
	}
	return "unknown"
}

// conntrackProtoNumbers maps -p names (and numbers) to protocol numbers.
var conntrackProtoNumbers = map[string]uint8{
	"tcp": conntrackTCP, "udp": conntrackUDP, "icmp": conntrackICMP, "icmpv6": conntrackICMPv6,
	"ipv6-icmp": conntrackICMPv6, "sctp": conntrackSCTP, "dccp": conntrackDCCP,
	"gre": conntrackGRE, "udplite": conntrackUDPLite,
}

// TCPStates are libnetfilter_conntrack's names of the TCP states,
// indexed by the kernel's enum tcp_conntrack (9 is SYN_SENT2, shown as LISTEN).
var TCPStates = []string{
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "LISTEN",
}

var conntrackSCTPStates = []string{
	"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT",
	"SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT", "HEARTBEAT_ACKED",
}

var conntrackDCCPStates = []string{
	"NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ", "CLOSING", "TIMEWAIT",
}

// StateName is the protocol state as conntrack -L prints it, or "".
func (e *Entry) StateName() string {
	if !e.HasState {
		return ""
	}
	var names []string
	switch e.Proto {
	case conntrackTCP:
		names = TCPStates
	case conntrackSCTP:
		names = conntrackSCTPStates
	case conntrackDCCP:
		names = conntrackDCCPStates
	default:
		return ""
	}
	if int(e.State) < len(names) {
		return names[e.State]
	}
	return "UNKNOWN"
}

// FamilyName is "ipv4" or "ipv6".
func (e *Entry) FamilyName() string {
	if e.Family == conntrackAFInet6 {
		return "ipv6"
	}
	return "ipv4"
}

const (
	conntrackAFInet  = 2
	conntrackAFInet6 = 10
)

// String is a short form of the entry for debugging and test messages:
// "tcp 198.18.1.1:41000->198.18.99.1:80 reply 198.18.1.2:8080->198.18.1.1:41000".
// show.AppendConntrack prints it as `conntrack -L` does.
func (e *Entry) String() string {
	b := append([]byte(ProtoName(e.Proto)), ' ')
	b = e.Orig.appendAddrs(b)
	b = append(b, " reply "...)
	return string(e.Reply.appendAddrs(b))
}

// appendAddrs appends "src->dst", with ports when the tuple has them.
func (t *Tuple) appendAddrs(b []byte) []byte {
	if t.HasPorts {
		b = netip.AddrPortFrom(t.Src, t.SrcPort).AppendTo(b)
		b = append(b, "->"...)
		return netip.AddrPortFrom(t.Dst, t.DstPort).AppendTo(b)
	}
	b = t.Src.AppendTo(b)
	b = append(b, "->"...)
	return t.Dst.AppendTo(b)
}

// Filter selects entries like conntrack's -L options. Unset fields
// match everything.
type Filter struct {
	Family   uint8        // AF_INET or AF_INET6; 0: both
	Proto    uint8        // -p; 0: any
	OrigSrc  netip.Prefix // -s; a single address is a /32 or /128
	OrigDst  netip.Prefix // -d
	ReplySrc netip.Prefix // -r, --reply-src
	ReplyDst netip.Prefix // -q, --reply-dst
	// Ports of the original (--sport, --dport) and reply direction
	// (--reply-port-src, --reply-port-dst); nil: any.
	OrigSport, OrigDport, ReplySport, ReplyDport *uint16
	State                                        string  // --state, a name of TCPStates (or SCTP/DCCP)
	Mark                                         *uint32 // --mark VALUE[/MASK]
	MarkMask                                     uint32  // 0 means all ones
}

// ParseProto accepts a protocol name or number as conntrack's -p does.
func ParseProto(s string) (uint8, error) {
	if p, ok := conntrackProtoNumbers[strings.ToLower(s)]; ok {
		return p, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("protocol %q: %w", s, ErrBadProto)
	}
	return uint8(n), nil
}

// ParseState checks a --state name for protocol proto (0 means TCP)
// and returns it upper-cased.
func ParseState(proto uint8, s string) (string, error) {
	names := TCPStates
	switch proto {
	case conntrackSCTP:
		names = conntrackSCTPStates
	case conntrackDCCP:
		names = conntrackDCCPStates
	case 0, conntrackTCP:
	default:
		return "", fmt.Errorf("--state needs -p tcp, sctp or dccp, not %s", ProtoName(proto))
	}
	u := strings.ToUpper(s)
	for _, n := range names {
		if n == u {
			return u, nil
		}
	}
	return "", fmt.Errorf("%w %q: valid states are %s", ErrBadState, s, strings.Join(names, ", "))
}

// ParseAddr accepts an address or a CIDR prefix for -s/-d/-r/-q.
func ParseAddr(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad address %q: want an IP address or CIDR prefix", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("bad address %q: want an IP address or CIDR prefix", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ParseMark accepts VALUE or VALUE/MASK, decimal or 0x hex.
func ParseMark(s string) (uint32, uint32, error) {
	vs, ms, hasMask := strings.Cut(s, "/")
	v, err := strconv.ParseUint(vs, 0, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("bad mark %q: want VALUE or VALUE/MASK (decimal or 0x hex)", s)
	}
	m := uint64(0xffffffff)
	if hasMask {
		if m, err = strconv.ParseUint(ms, 0, 32); err != nil {
			return 0, 0, fmt.Errorf("bad mark mask %q: want VALUE/MASK (decimal or 0x hex)", s)
		}
	}
	return uint32(v), uint32(m), nil
}

// Match reports whether e passes the filter.
func (f *Filter) Match(e *Entry) bool {
	if f.Family != 0 && e.Family != f.Family {
		return false
	}
	if f.Proto != 0 && e.Proto != f.Proto {
		return false
	}
	if !conntrackPrefixMatch(f.OrigSrc, e.Orig.Src) || !conntrackPrefixMatch(f.OrigDst, e.Orig.Dst) ||
		!conntrackPrefixMatch(f.ReplySrc, e.Reply.Src) || !conntrackPrefixMatch(f.ReplyDst, e.Reply.Dst) {
		return false
	}
	if !conntrackPortMatch(f.OrigSport, &e.Orig, e.Orig.SrcPort) || !conntrackPortMatch(f.OrigDport, &e.Orig, e.Orig.DstPort) ||
		!conntrackPortMatch(f.ReplySport, &e.Reply, e.Reply.SrcPort) || !conntrackPortMatch(f.ReplyDport, &e.Reply, e.Reply.DstPort) {
		return false
	}
	if f.State != "" && e.StateName() != f.State {
		return false
	}
	if f.Mark != nil {
		m := f.MarkMask
		if m == 0 {
			m = 0xffffffff
		}
		if e.Mark&m != *f.Mark&m {
			return false
		}
	}
	return true
}

func conntrackPrefixMatch(p netip.Prefix, a netip.Addr) bool {
	if !p.IsValid() {
		return true
	}
	return p.Contains(a)
}

func conntrackPortMatch(want *uint16, t *Tuple, got uint16) bool {
	return want == nil || (t.HasPorts && got == *want)
}

// Stats are the table's size and the kernel's per-CPU statistics
// of one netns. Equivalent to: `conntrack -S` plus `conntrack -C` and
// nf_conntrack_max.
type Stats struct {
	Count uint64 `json:"count"`
	// Max is nf_conntrack_max, which is global; HasMax is false when the
	// netns cannot read it.
	Max    uint64     `json:"max"`
	HasMax bool       `json:"-"`
	CPUs   []CPUStats `json:"cpus"`
	// Source says where the per-CPU values came from: "netlink" or
	// "/proc/net/stat/nf_conntrack".
	Source string `json:"source"`
}

// CPUStats are one CPU's counters in conntrack -S order; only the
// counters the kernel reports are present.
type CPUStats struct {
	CPU    int    `json:"cpu"`
	Values []Stat `json:"values"`
}

// Stat is one named per-CPU counter (found, insert_failed, …).
type Stat struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

// StatNames are the counters conntrack -S prints, in its order.
var StatNames = []string{
	"found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error",
	"search_restart", "clash_resolve", "chaintoolong",
}

// Get returns one named counter of a CPU.
func (c CPUStats) Get(name string) (uint64, bool) {
	for _, v := range c.Values {
		if v.Name == name {
			return v.Value, true
		}
	}
	return 0, false
}

// Total sums one counter over all CPUs.
func (s Stats) Total(name string) uint64 {
	var t uint64
	for _, c := range s.CPUs {
		v, _ := c.Get(name)
		t += v
	}
	return t
}

// StatsDelta returns after minus before per CPU and counter (count
// and max are after's). Counters missing from before count from zero.
func StatsDelta(before, after Stats) Stats {
	old := map[int]CPUStats{}
	for _, c := range before.CPUs {
		old[c.CPU] = c
	}
	out := after
	out.CPUs = make([]CPUStats, len(after.CPUs))
	for i, c := range after.CPUs {
		d := CPUStats{CPU: c.CPU, Values: make([]Stat, len(c.Values))}
		for j, v := range c.Values {
			prev, _ := old[c.CPU].Get(v.Name)
			d.Values[j] = Stat{Name: v.Name, Value: v.Value - prev}
		}
		out.CPUs[i] = d
	}
	return out
}

// conntrackSortStats puts a CPU's values in conntrack -S order.
func conntrackSortStats(vs []Stat) {
	rank := func(n string) int {
		for i, s := range StatNames {
			if s == n {
				return i
			}
		}
		return len(StatNames)
	}
	sort.SliceStable(vs, func(i, j int) bool { return rank(vs[i].Name) < rank(vs[j].Name) })
}

// Event is one change of the table as `conntrack -E` shows it.
type Event struct {
	Type  string `json:"type"` // NEW, UPDATE or DESTROY
	Entry Entry  `json:"entry"`
}

// Deleted is the outcome of deleting one entry.
type Deleted struct {
	Entry Entry `json:"entry"`
	// Gone is true when the entry had already left the table (timed out or
	// closed) before the delete reached it.
	Gone bool `json:"gone,omitempty"`
}
