package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// Severities, as the doctor uses them.
const (
	SevFail = "fail"
	SevWarn = "warn"
	SevInfo = "info"
)

// Options tune the analysis. The zero value uses the defaults below.
type Options struct {
	SlowDNS time.Duration // a DNS answer slower than this is reported; default 1 s
	Top     int           // rows of top talkers and flows; default 10
	// MaxFlows bounds the flows, the address pairs and the DNS queries
	// tracked, and so the memory: about 300 bytes a flow. Packets of later
	// ones count in Report.PacketsNotTracked. 0 means DefaultMaxFlows.
	MaxFlows int
}

// DefaultMaxFlows lets a million connections be analyzed in about 300 MB.
const DefaultMaxFlows = 1 << 20

// Report is what a capture shows.
type Report struct {
	Packets int `json:"packets"`
	// PacketsNotTracked counts packets of flows past the analyzer's limit
	// (Options.MaxFlows): they are in Packets but in no flow or finding.
	PacketsNotTracked int       `json:"packetsNotTracked,omitempty"`
	Start             time.Time `json:"start"`
	End               time.Time `json:"end"`
	TCP               TCPCounts `json:"tcp"`
	DNS               DNSCounts `json:"dns"`
	Findings          []Finding `json:"findings"`
	Talkers           []Talker  `json:"talkers"`
	Flows             []Flow    `json:"flows"`
	Truncated         bool      `json:"truncated,omitempty"` // the file ended mid-record
}

// TCPCounts counts connection attempts (SYNs seen) by outcome.
type TCPCounts struct {
	Attempts    int `json:"attempts"`
	Established int `json:"established"`
	Refused     int `json:"refused"`
	TimedOut    int `json:"timedOut"`
	Unreachable int `json:"unreachable"`
}

// DNSCounts counts DNS queries by outcome.
type DNSCounts struct {
	Queries    int `json:"queries"`
	Answered   int `json:"answered"`
	Unanswered int `json:"unanswered"`
	NXDomain   int `json:"nxdomain"`
	Slow       int `json:"slow"`
}

// Finding names one pattern, with the packet numbers (1-based) that show it.
type Finding struct {
	Pattern  string         `json:"pattern"`
	Severity string         `json:"severity"`
	Summary  string         `json:"summary"`
	Flow     string         `json:"flow,omitempty"`
	Packets  []int          `json:"packets"`
	Evidence map[string]any `json:"evidence,omitempty"`
}

// Talker is traffic between two addresses, both directions.
type Talker struct {
	A       string `json:"a"`
	B       string `json:"b"`
	Packets int    `json:"packets"`
	Bytes   int    `json:"bytes"`
}

// Flow is one transport flow, both directions.
type Flow struct {
	Proto   string `json:"proto"`
	A       string `json:"a"`
	B       string `json:"b"`
	Packets int    `json:"packets"`
	Bytes   int    `json:"bytes"`
	State   string `json:"state,omitempty"` // TCP: established, refused, timeout, …
}

// Analyzer accumulates packets; Report names what they show.
type Analyzer struct {
	opts       Options
	n          int
	first      int64
	last       int64
	tcp        *tcpTracker
	dns        *dnsTracker
	icmp       []Finding
	talkerIdx  map[talkerKey]int32
	talkers    []talkerStat
	flowIdx    map[flowKey]int32
	flows      []flowStat
	notTracked int
	trunc      bool
}

// flowKey is a transport flow with its two ends in canonical order (a
// before b): 40 bytes, no pointers.
type flowKey struct {
	a, b   [16]byte // IPv4 as IPv4-mapped IPv6
	ap, bp uint16
	proto  uint8
	v6     bool
}

// flowStat is one flow: its traffic and its current TCP connection.
type flowStat struct {
	key     flowKey
	packets int
	bytes   int
	conn    *tcpConn
}

type talkerKey struct {
	a, b [16]byte
	v6   bool
}

type talkerStat struct {
	key     talkerKey
	packets int
	bytes   int
}

func addrOf(b [16]byte, v6 bool) netip.Addr {
	a := netip.AddrFrom16(b)
	if !v6 {
		a = a.Unmap()
	}
	return a
}

// ends returns the flow's two ends, a first.
func (k flowKey) ends() (a, b netip.AddrPort) {
	return netip.AddrPortFrom(addrOf(k.a, k.v6), k.ap), netip.AddrPortFrom(addrOf(k.b, k.v6), k.bp)
}

// keyOf returns the flow of a packet from src to dst and whether src is its
// a end. The smaller end (address, then port) is a, as netip orders them.
func keyOf(proto uint8, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) (flowKey, bool) {
	s, d := src.As16(), dst.As16()
	k := flowKey{proto: proto, v6: !src.Is4() && !src.Is4In6()}
	c := bytes.Compare(d[:], s[:])
	if c < 0 || (c == 0 && dport < sport) {
		k.a, k.ap, k.b, k.bp = d, dport, s, sport
		return k, false
	}
	k.a, k.ap, k.b, k.bp = s, sport, d, dport
	return k, true
}

// New returns an empty Analyzer.
func New(opts Options) *Analyzer {
	if opts.SlowDNS == 0 {
		opts.SlowDNS = time.Second
	}
	if opts.Top == 0 {
		opts.Top = 10
	}
	if opts.MaxFlows <= 0 {
		opts.MaxFlows = DefaultMaxFlows
	}
	a := &Analyzer{
		opts:      opts,
		talkerIdx: make(map[talkerKey]int32),
		flowIdx:   make(map[flowKey]int32),
	}
	a.tcp = newTCPTracker(a)
	a.dns = newDNSTracker(opts.MaxFlows, &a.notTracked)
	return a
}

// Add analyzes the next packet of a capture on a link of type lt.
func (a *Analyzer) Add(lt pcapio.LinkType, pkt pcapio.Packet) {
	a.n++
	ts := pkt.Timestamp.UnixNano()
	if a.n == 1 {
		a.first = ts
	}
	a.last = max(a.last, ts)
	p := packet{num: a.n, tsNanos: ts, wireLen: pkt.OrigLen}
	if p.wireLen == 0 {
		p.wireLen = len(pkt.Data)
	}
	decodePacket(lt, pkt.Data, &p)
	if !p.hasIP {
		return
	}
	fi, srcIsA, tracked := a.count(&p)
	if !tracked {
		return
	}
	switch p.proto {
	case protoTCP:
		if p.hasL4 {
			a.tcp.add(&p, fi, srcIsA)
		}
	case protoUDP:
		if p.hasL4 && (p.sport == 53 || p.dport == 53) {
			a.dns.add(&p)
		}
	case protoICMP, protoICMPv6:
		if p.hasL4 {
			a.addICMP(&p)
		}
	}
}

// ReadFrom analyzes every packet of a capture file.
func (a *Analyzer) ReadFrom(r pcapio.Reader) error {
	for {
		pkt, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			a.trunc = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("read capture: %w", err)
		}
		a.Add(r.Interface(pkt.InterfaceIndex).LinkType, pkt)
	}
}

// count adds the packet to its talkers and its flow; tracked is false for
// a new flow past Options.MaxFlows, and fi is -1 for a packet without one.
func (a *Analyzer) count(p *packet) (fi int32, srcIsA, tracked bool) {
	x, y := p.src.As16(), p.dst.As16()
	if bytes.Compare(y[:], x[:]) < 0 {
		x, y = y, x
	}
	tk := talkerKey{a: x, b: y, v6: !p.src.Is4() && !p.src.Is4In6()}
	ti, ok := a.talkerIdx[tk]
	if !ok {
		if len(a.talkers) >= a.opts.MaxFlows {
			a.notTracked++
			return -1, false, false
		}
		ti = int32(len(a.talkers))
		a.talkers = append(a.talkers, talkerStat{key: tk})
		a.talkerIdx[tk] = ti
	}
	t := &a.talkers[ti]
	t.packets++
	t.bytes += p.wireLen
	if !p.hasL4 || (p.proto != protoTCP && p.proto != protoUDP) {
		return -1, false, true
	}
	k, srcIsA := keyOf(p.proto, p.src, p.sport, p.dst, p.dport)
	fi, ok = a.flowIdx[k]
	if !ok {
		if len(a.flows) >= a.opts.MaxFlows {
			a.notTracked++
			return -1, false, false
		}
		fi = int32(len(a.flows))
		a.flows = append(a.flows, flowStat{key: k})
		a.flowIdx[k] = fi
	}
	f := &a.flows[fi]
	f.packets++
	f.bytes += p.wireLen
	return fi, srcIsA, true
}

func protoName(p uint8) string {
	switch p {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	case protoICMP:
		return "icmp"
	case protoICMPv6:
		return "icmp6"
	}
	return fmt.Sprint(p)
}

// Report finishes the analysis; the Analyzer may still take packets after.
func (a *Analyzer) Report() *Report {
	r := &Report{Packets: a.n, Truncated: a.trunc, PacketsNotTracked: a.notTracked}
	if a.n > 0 {
		r.Start, r.End = time.Unix(0, a.first).UTC(), time.Unix(0, a.last).UTC()
	}
	var fs []Finding
	fs = append(fs, a.tcp.findings(a.last, &r.TCP)...)
	fs = append(fs, a.dns.findings(a.last, a.opts.SlowDNS, &r.DNS)...)
	fs = append(fs, a.icmp...)
	sort.SliceStable(fs, func(i, j int) bool {
		if si, sj := sevRank(fs[i].Severity), sevRank(fs[j].Severity); si != sj {
			return si < sj
		}
		return firstPacket(fs[i]) < firstPacket(fs[j])
	})
	r.Findings = fs
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	// The top rows only are turned into text: a full sort of every flow's
	// strings cost more than the flows themselves.
	var text []byte
	for _, i := range topN(len(a.talkers), a.opts.Top, func(i int) int { return a.talkers[i].bytes }, func(i int, b []byte) []byte {
		k := a.talkers[i].key
		b = addrOf(k.a, k.v6).AppendTo(b)
		return addrOf(k.b, k.v6).AppendTo(b)
	}, &text) {
		t := &a.talkers[i]
		r.Talkers = append(r.Talkers, Talker{A: addrOf(t.key.a, t.key.v6).String(), B: addrOf(t.key.b, t.key.v6).String(), Packets: t.packets, Bytes: t.bytes})
	}
	for _, i := range topN(len(a.flows), a.opts.Top, func(i int) int { return a.flows[i].bytes }, func(i int, b []byte) []byte {
		x, y := a.flows[i].key.ends()
		return y.AppendTo(x.AppendTo(b))
	}, &text) {
		f := &a.flows[i]
		x, y := f.key.ends()
		fl := Flow{Proto: protoName(f.key.proto), A: x.String(), B: y.String(), Packets: f.packets, Bytes: f.bytes}
		if f.conn != nil {
			fl.State = f.conn.state(a.last)
		}
		r.Flows = append(r.Flows, fl)
	}
	return r
}

// topN returns the indexes of the n items with the most bytes, ties broken
// by their text (A then B) ascending: the first rows of a full sort, in
// order, without building the text of every item.
func topN(count, n int, bytesOf func(int) int, appendText func(int, []byte) []byte, scratch *[]byte) []int {
	type row struct {
		i     int
		bytes int
		text  string
	}
	var best []row
	for i := 0; i < count; i++ {
		b := bytesOf(i)
		if len(best) == n && b < best[n-1].bytes {
			continue
		}
		*scratch = appendText(i, (*scratch)[:0])
		pos := sort.Search(len(best), func(j int) bool {
			if best[j].bytes != b {
				return best[j].bytes < b
			}
			return best[j].text > string(*scratch)
		})
		if pos >= n {
			continue
		}
		r := row{i: i, bytes: b, text: string(*scratch)}
		if len(best) < n {
			best = append(best, row{})
		}
		copy(best[pos+1:], best[pos:len(best)-1])
		best[pos] = r
	}
	out := make([]int, len(best))
	for j, r := range best {
		out[j] = r.i
	}
	return out
}

// Problems reports whether any finding is a warn or fail.
func (r *Report) Problems() bool {
	for _, f := range r.Findings {
		if f.Severity == SevWarn || f.Severity == SevFail {
			return true
		}
	}
	return false
}

func sevRank(s string) int {
	switch s {
	case SevFail:
		return 0
	case SevWarn:
		return 1
	}
	return 2
}

func firstPacket(f Finding) int {
	if len(f.Packets) == 0 {
		return 0
	}
	return f.Packets[0]
}

// maxEvidencePackets bounds the packet list of one finding; the total is kept
// in the evidence.
const maxEvidencePackets = 50

func addPkt(list []int, n int) []int {
	if len(list) < maxEvidencePackets {
		list = append(list, n)
	}
	return list
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }
