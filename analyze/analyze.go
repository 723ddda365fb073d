package analyze

import (
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
}

// Report is what a capture shows.
type Report struct {
	Packets   int       `json:"packets"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	TCP       TCPCounts `json:"tcp"`
	DNS       DNSCounts `json:"dns"`
	Findings  []Finding `json:"findings"`
	Talkers   []Talker  `json:"talkers"`
	Flows     []Flow    `json:"flows"`
	Truncated bool      `json:"truncated,omitempty"` // the file ended mid-record
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
	opts    Options
	n       int
	first   int64
	last    int64
	tcp     *tcpTracker
	dns     *dnsTracker
	icmp    []Finding
	talkers map[[2]netip.Addr]*Talker
	flows   map[flowKey]*Flow
	trunc   bool
}

// New returns an empty Analyzer.
func New(opts Options) *Analyzer {
	if opts.SlowDNS == 0 {
		opts.SlowDNS = time.Second
	}
	if opts.Top == 0 {
		opts.Top = 10
	}
	return &Analyzer{
		opts:    opts,
		tcp:     newTCPTracker(),
		dns:     newDNSTracker(),
		talkers: make(map[[2]netip.Addr]*Talker),
		flows:   make(map[flowKey]*Flow),
	}
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
	a.count(&p)
	switch p.proto {
	case protoTCP:
		if p.hasL4 {
			a.tcp.add(&p)
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

type flowKey struct {
	proto uint8
	a, b  netip.AddrPort
}

func (a *Analyzer) count(p *packet) {
	x, y := p.src, p.dst
	if y.Less(x) {
		x, y = y, x
	}
	t := a.talkers[[2]netip.Addr{x, y}]
	if t == nil {
		t = &Talker{A: x.String(), B: y.String()}
		a.talkers[[2]netip.Addr{x, y}] = t
	}
	t.Packets++
	t.Bytes += p.wireLen
	if !p.hasL4 || (p.proto != protoTCP && p.proto != protoUDP) {
		return
	}
	k := canonical(p.proto, netip.AddrPortFrom(p.src, p.sport), netip.AddrPortFrom(p.dst, p.dport))
	f := a.flows[k]
	if f == nil {
		f = &Flow{Proto: protoName(p.proto), A: k.a.String(), B: k.b.String()}
		a.flows[k] = f
	}
	f.Packets++
	f.Bytes += p.wireLen
}

func canonical(proto uint8, x, y netip.AddrPort) flowKey {
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return flowKey{proto, x, y}
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
	r := &Report{Packets: a.n, Truncated: a.trunc}
	if a.n > 0 {
		r.Start, r.End = time.Unix(0, a.first).UTC(), time.Unix(0, a.last).UTC()
	}
	var fs []Finding
	fs = append(fs, a.tcp.findings(a.last, &r.TCP, a.flows)...)
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
	for _, t := range a.talkers {
		r.Talkers = append(r.Talkers, *t)
	}
	sort.Slice(r.Talkers, func(i, j int) bool {
		if r.Talkers[i].Bytes != r.Talkers[j].Bytes {
			return r.Talkers[i].Bytes > r.Talkers[j].Bytes
		}
		return r.Talkers[i].A+r.Talkers[i].B < r.Talkers[j].A+r.Talkers[j].B
	})
	if len(r.Talkers) > a.opts.Top {
		r.Talkers = r.Talkers[:a.opts.Top]
	}
	for _, f := range a.flows {
		r.Flows = append(r.Flows, *f)
	}
	sort.Slice(r.Flows, func(i, j int) bool {
		if r.Flows[i].Bytes != r.Flows[j].Bytes {
			return r.Flows[i].Bytes > r.Flows[j].Bytes
		}
		return r.Flows[i].A+r.Flows[i].B < r.Flows[j].A+r.Flows[j].B
	})
	if len(r.Flows) > a.opts.Top {
		r.Flows = r.Flows[:a.opts.Top]
	}
	return r
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
