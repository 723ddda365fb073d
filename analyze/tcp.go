package analyze

import (
	"fmt"
	"net/netip"
	"sort"
)

func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }

// seg is a data segment sent and not yet acknowledged.
type seg struct {
	seq     uint32
	len     int
	sent    int
	pkts    []int
	firstTs int64
	lastTs  int64
}

// half is one direction of a connection.
type half struct {
	next       uint32 // highest seq+len sent
	hasNext    bool
	dataPkts   int
	dataBytes  int
	firstData  int64
	retrans    []int
	nRetrans   int
	out        []seg // outstanding segments in sequence order
	acked      uint32
	hasAcked   bool
	maxAcked   int // largest segment the peer acknowledged
	worst      seg // the segment sent most often
	everAcked  bool
	lostLarger *seg // a never-acknowledged segment larger than any acknowledged one
}

// maxOutstanding bounds the segments tracked per direction.
const maxOutstanding = 4096

// tcpConn is one TCP connection. A connection that only ever sent SYNs
// (a SYN flood, a server that drops them) costs 128 bytes: the data
// tracking of both directions and the rare evidence are allocated when
// needed.
type tcpConn struct {
	flow          int32 // index of the flow in Analyzer.flows
	clientIsA     bool  // the client is the flow key's a end
	noSyn         bool  // first seen mid-stream
	est           bool
	resetByServer bool
	fin           [2]bool
	isn           uint32
	synNext       [2]uint32 // seq after each side's SYN, until data tracking starts
	hasSynNext    [2]bool
	syns          []int
	synFirst      int64 // time of the first and the last SYN
	synLast       int64
	synAcks       []int
	handshakeAck  int
	resetPkt      int
	d             *[2]half   // data tracking, from the first segment with data
	x             *connExtra // rare evidence
}

// connExtra is the evidence few connections have.
type connExtra struct {
	synAckAfterEst []int
	serverRST      []int
	icmpPkts       []int
	icmpKind       string
	icmpFrom       string
}

func (c *tcpConn) extra() *connExtra {
	if c.x == nil {
		c.x = &connExtra{}
	}
	return c.x
}

// half returns the data tracking of direction d, or an empty one (never
// written) when the connection carried no data.
func (c *tcpConn) half(d int) *half {
	if c.d == nil {
		return &noData
	}
	return &c.d[d]
}

var noData half

type tcpTracker struct {
	a    *Analyzer
	done []*tcpConn // connections a later one on the same ports replaced
}

func newTCPTracker(a *Analyzer) *tcpTracker { return &tcpTracker{a: a} }

// ends returns the client and server of c.
func (t *tcpTracker) ends(c *tcpConn) (client, server netip.AddrPort) {
	a, b := t.a.flows[c.flow].key.ends()
	if c.clientIsA {
		return a, b
	}
	return b, a
}

func (t *tcpTracker) add(p *packet, fi int32, srcIsA bool) {
	f := &t.a.flows[fi]
	c := f.conn
	syn, ack, rst, fin := p.flags&tcpSYN != 0, p.flags&tcpACK != 0, p.flags&tcpRST != 0, p.flags&tcpFIN != 0
	if syn && !ack && c != nil && (c.est || c.noSyn || c.isn != p.seq || c.clientIsA != srcIsA) {
		// A new connection on the same ports: the old one is over.
		t.done = append(t.done, c)
		c = nil
	}
	if c == nil {
		c = &tcpConn{flow: fi, clientIsA: srcIsA}
		switch {
		case syn && !ack:
			c.isn = p.seq
		case syn && ack:
			c.clientIsA = !srcIsA
		default:
			c.noSyn = true
			// Guess the client by its ephemeral port.
			if p.sport < p.dport {
				c.clientIsA = !srcIsA
			}
		}
		f.conn = c
	}
	d := 0
	if srcIsA != c.clientIsA {
		d = 1
	}
	switch {
	case syn && !ack && d == 0:
		c.syns = addPkt(c.syns, p.num)
		if len(c.syns) == 1 {
			c.synFirst = p.tsNanos
		}
		c.synLast = p.tsNanos
		c.setNext(0, p.seq+1)
	case syn && ack && d == 1:
		if c.est {
			c.extra().synAckAfterEst = addPkt(c.extra().synAckAfterEst, p.num)
		}
		c.synAcks = addPkt(c.synAcks, p.num)
		c.setNext(1, p.seq+1)
	case rst:
		switch {
		case !c.est && d == 1 && len(c.synAcks) == 0 && len(c.syns) > 0:
			c.extra().serverRST = addPkt(c.extra().serverRST, p.num)
		case (c.est || c.noSyn) && !c.fin[0] && !c.fin[1] && c.resetPkt == 0:
			c.resetPkt = p.num
			c.resetByServer = d == 1
		}
	case ack && d == 0 && len(c.synAcks) > 0 && !c.est:
		c.est = true
		c.handshakeAck = p.num
	}
	if fin {
		c.fin[d] = true
	}
	if p.payloadLen > 0 && !syn {
		if len(c.synAcks) > 0 {
			c.est = true
		}
		c.data(d).data(p)
	}
	if ack && c.d != nil {
		c.d[1-d].ackedTo(p.ack)
	}
}

// setNext records the sequence number after a SYN; it waits in the
// connection until data is tracked.
func (c *tcpConn) setNext(d int, next uint32) {
	if c.d != nil {
		c.d[d].next, c.d[d].hasNext = next, true
		return
	}
	c.synNext[d], c.hasSynNext[d] = next, true
}

// data returns the data tracking of direction d, allocating both
// directions' on the first data segment. ACKs before it have nothing to
// acknowledge and are not recorded.
func (c *tcpConn) data(d int) *half {
	if c.d == nil {
		c.d = new([2]half)
		for i := range c.d {
			c.d[i].next, c.d[i].hasNext = c.synNext[i], c.hasSynNext[i]
		}
	}
	return &c.d[d]
}

// data records a data segment and notices retransmissions.
func (h *half) data(p *packet) {
	end := p.seq + uint32(p.payloadLen)
	if h.dataPkts == 0 {
		h.firstData = p.tsNanos
	}
	h.dataPkts++
	h.dataBytes += p.payloadLen
	if h.hasNext && seqLT(p.seq, h.next) {
		h.nRetrans++
		h.retrans = addPkt(h.retrans, p.num)
		for i := range h.out {
			s := &h.out[i]
			if s.seq == p.seq {
				s.sent++
				s.pkts = addPkt(s.pkts, p.num)
				s.lastTs = p.tsNanos
				if s.sent > h.worst.sent {
					h.worst = *s
				}
				break
			}
		}
		return
	}
	h.next, h.hasNext = end, true
	if len(h.out) < maxOutstanding {
		h.out = append(h.out, seg{seq: p.seq, len: p.payloadLen, sent: 1, pkts: []int{p.num}, firstTs: p.tsNanos, lastTs: p.tsNanos})
	}
}

// ackedTo drops the segments an ACK covers.
func (h *half) ackedTo(ack uint32) {
	if h.hasAcked && seqLE(ack, h.acked) {
		return
	}
	h.acked, h.hasAcked = ack, true
	i := 0
	for ; i < len(h.out) && seqLE(h.out[i].seq+uint32(h.out[i].len), ack); i++ {
		h.maxAcked = max(h.maxAcked, h.out[i].len)
		h.everAcked = true
	}
	h.out = h.out[i:]
}

func (t *tcpTracker) icmp(p *packet, kind string) {
	in := &p.inner
	k, _ := keyOf(protoTCP, in.src, in.sport, in.dst, in.dport)
	fi, ok := t.a.flowIdx[k]
	if !ok {
		return
	}
	c := t.a.flows[fi].conn
	if c == nil {
		return
	}
	x := c.extra()
	x.icmpPkts = addPkt(x.icmpPkts, p.num)
	x.icmpKind = kind
	x.icmpFrom = p.src.String()
}

// state is the connection's outcome.
func (c *tcpConn) state(end int64) string {
	switch {
	case c.noSyn || len(c.syns) == 0:
		return "mid-stream"
	case c.est:
		return "established"
	case c.x != nil && len(c.x.serverRST) > 0:
		return "refused"
	case c.x != nil && len(c.x.icmpPkts) > 0:
		return "unreachable"
	case len(c.synAcks) > 0:
		return "handshake-incomplete"
	case len(c.syns) < 2 && end-c.synLast < 1e9:
		return "open" // the capture ended before an answer was due
	}
	return "timeout"
}

// groupKey names a group of findings without building a string per
// connection.
type groupKey struct {
	kind   string // a constant
	server netip.AddrPort
	extra  string // ICMP kind, who reset, or the flow for per-flow findings
}

// agg groups findings of one pattern towards one server; finish writes the
// summary and counts once the group is complete.
type agg struct {
	f      Finding
	conns  int
	syns   int
	last   *tcpConn // the group's latest connection
	finish func(*agg)
}

func (t *tcpTracker) findings(end int64, counts *TCPCounts) []Finding {
	all := make([]*tcpConn, 0, len(t.done)+len(t.a.flows))
	all = append(all, t.done...)
	all = append(all, t.liveConns()...)
	groups := map[groupKey]*agg{}
	var order []groupKey
	var c *tcpConn
	group := func(key groupKey, mk func() Finding, finish func(*agg), pkts ...[]int) *agg {
		g := groups[key]
		if g == nil {
			g = &agg{f: mk(), finish: finish}
			groups[key] = g
			order = append(order, key)
		}
		g.conns++
		g.last = c
		for _, l := range pkts {
			for _, n := range l {
				g.f.Packets = addPkt(g.f.Packets, n)
			}
		}
		return g
	}
	for _, c = range all {
		st := c.state(end)
		client, server := t.ends(c)
		flow := func() string { return fmt.Sprintf("tcp %s > %s", client, server) }
		if len(c.syns) > 0 {
			counts.Attempts++
		}
		switch st {
		case "established":
			counts.Established++
		case "refused":
			counts.Refused++
			group(groupKey{kind: "refused", server: server}, func() Finding {
				return Finding{Pattern: "tcp-refused", Severity: SevWarn, Flow: flow(),
					Evidence: map[string]any{"server": server.String()}}
			}, func(g *agg) {
				g.f.Summary = fmt.Sprintf("%d connection attempt(s) to %s refused: the server answered the SYN with RST (nothing listens on that port)", g.conns, g.f.Evidence["server"])
				g.f.Evidence["attempts"] = g.conns
			}, c.syns, c.x.serverRST)
		case "unreachable":
			counts.Unreachable++
			kind, from := c.x.icmpKind, c.x.icmpFrom
			group(groupKey{kind: "unreach", server: server, extra: kind}, func() Finding {
				return Finding{Pattern: "tcp-unreachable", Severity: SevWarn, Flow: flow(),
					Evidence: map[string]any{"server": server.String(), "kind": kind, "from": from}}
			}, func(g *agg) {
				g.f.Summary = fmt.Sprintf("%d connection attempt(s) to %s answered with ICMP %s from %s", g.conns, g.f.Evidence["server"], g.f.Evidence["kind"], g.f.Evidence["from"])
				g.f.Evidence["attempts"] = g.conns
			}, c.syns, c.x.icmpPkts)
		case "timeout":
			counts.TimedOut++
			g := group(groupKey{kind: "timeout", server: server}, func() Finding {
				return Finding{Pattern: "tcp-syn-timeout", Severity: SevWarn, Flow: flow(),
					Evidence: map[string]any{"server": server.String()}}
			}, func(g *agg) {
				// The SYN count and span are the latest connection's.
				g.f.Evidence["synsSent"] = g.syns
				g.f.Evidence["attempts"] = g.conns
				span := seconds(g.last.synLast - g.last.synFirst)
				g.f.Summary = fmt.Sprintf("%d connection attempt(s) to %s got no answer: SYN sent %d time(s) over %.1f s, no SYN-ACK, RST or ICMP (dropped on the way or at the server)", g.conns, g.f.Evidence["server"], len(g.last.syns), span)
			}, c.syns)
			g.syns += len(c.syns)
		case "handshake-incomplete":
			group(groupKey{kind: "incomplete", server: server}, func() Finding {
				return Finding{Pattern: "tcp-handshake-incomplete", Severity: SevWarn, Flow: flow(),
					Evidence: map[string]any{"server": server.String()}}
			}, func(g *agg) {
				g.f.Evidence["attempts"] = g.conns
				g.f.Summary = fmt.Sprintf("%d connection attempt(s) to %s: the server's SYN-ACK got no ACK from the client", g.conns, g.f.Evidence["server"])
			}, c.syns, c.synAcks)
		}
		if c.est {
			t.established(c, client, server, end, group)
		}
		if c.resetPkt != 0 {
			by := "client"
			if c.resetByServer {
				by = "server"
			}
			group(groupKey{kind: "reset", server: server, extra: by}, func() Finding {
				return Finding{Pattern: "tcp-reset", Severity: SevWarn, Flow: flow(),
					Evidence: map[string]any{"server": server.String(), "by": by}}
			}, func(g *agg) {
				g.f.Evidence["connections"] = g.conns
				g.f.Summary = fmt.Sprintf("%d connection(s) with %s reset mid-stream by the %s (RST before any FIN)", g.conns, g.f.Evidence["server"], g.f.Evidence["by"])
			}, []int{c.resetPkt})
		}
	}
	out := make([]Finding, 0, len(order))
	for _, k := range order {
		g := groups[k]
		if g.finish != nil {
			g.finish(g)
		}
		out = append(out, g.f)
	}
	return out
}

func (t *tcpTracker) established(c *tcpConn, client, server netip.AddrPort, end int64, group func(groupKey, func() Finding, func(*agg), ...[]int) *agg) {
	flow := func() string { return fmt.Sprintf("tcp %s > %s", client, server) }
	cl, sv := c.half(0), c.half(1)
	switch {
	case c.x != nil && len(c.x.synAckAfterEst) > 0:
		note := dataNote(cl, sv)
		g := group(groupKey{kind: "overflow", server: server}, func() Finding {
			return Finding{Pattern: "tcp-listen-overflow", Severity: SevWarn, Flow: flow(),
				Evidence: map[string]any{"server": server.String()}}
		}, nil, []int{c.handshakeAck}, c.x.synAckAfterEst, cl.retrans)
		g.f.Evidence["connections"] = g.conns
		g.f.Summary = fmt.Sprintf("%d connection(s) to %s: the server retransmitted its SYN-ACK after the client's ACK, so it dropped that ACK%s — its listen (accept) queue overflowed", g.conns, server, note)
	case cl.dataBytes > 0 && sv.dataBytes == 0 && (c.fin[1] || (c.resetPkt != 0 && c.resetByServer) || end-cl.firstData >= 1e9):
		acked := cl.everAcked
		g := group(groupKey{kind: "nodata", server: server}, func() Finding {
			return Finding{Pattern: "tcp-no-server-data", Severity: SevWarn, Flow: flow(),
				Evidence: map[string]any{"server": server.String()}}
		}, nil, []int{c.handshakeAck}, cl.retrans)
		g.f.Evidence["connections"] = g.conns
		g.f.Evidence["clientDataAcked"] = acked
		why := "the kernel acknowledged the request but the application never answered (not accepting or not responding)"
		if !acked {
			why = "the server did not even acknowledge the request: its accept queue is full or the data is dropped"
		}
		g.f.Summary = fmt.Sprintf("%d connection(s) to %s completed the handshake and sent data, but the server sent none back: %s", g.conns, server, why)
	}
	if c.d == nil {
		return // no data: no black hole, no retransmissions
	}
	for _, h := range []*half{cl, sv} {
		if s := h.blackhole(); s != nil {
			f := flow()
			g := group(groupKey{kind: "mtu", extra: f}, func() Finding {
				return Finding{Pattern: "pmtu-blackhole", Severity: SevFail, Flow: f,
					Evidence: map[string]any{"segmentBytes": s.len, "timesSent": s.sent, "largestAcked": h.maxAcked}}
			}, nil, s.pkts)
			g.f.Summary = fmt.Sprintf("%s: a %d-byte segment was sent %d times and never acknowledged while segments up to %d bytes were: packets that large do not cross the path (MTU black hole)", f, s.len, s.sent, h.maxAcked)
			return
		}
	}
	for i, h := range []*half{cl, sv} {
		if h.nRetrans < 3 && h.worst.sent < 3 {
			continue
		}
		from := []string{"client", "server"}[i]
		f := flow()
		g := group(groupKey{kind: "retrans", extra: f + from}, func() Finding {
			return Finding{Pattern: "tcp-retransmissions", Severity: SevWarn, Flow: f,
				Evidence: map[string]any{"from": from}}
		}, nil, h.retrans)
		g.f.Evidence["retransmissions"] = h.nRetrans
		stall := seconds(h.worst.lastTs - h.worst.firstTs)
		g.f.Evidence["longestStallSeconds"] = stall
		g.f.Summary = fmt.Sprintf("%s: %d retransmission(s) by the %s; one segment was sent %d times over %.1f s (data stalled)", f, h.nRetrans, from, h.worst.sent, stall)
	}
}

func dataNote(cl, sv *half) string {
	if cl.dataBytes > 0 && sv.dataBytes == 0 {
		return fmt.Sprintf(" and the client's data (%d retransmission(s)) got no answer", cl.nRetrans)
	}
	return ""
}

// blackhole returns a segment larger than any acknowledged one that was sent
// three or more times and never acknowledged, when smaller ones were.
func (h *half) blackhole() *seg {
	if !h.everAcked {
		return nil
	}
	for i := range h.out {
		s := &h.out[i]
		if s.sent >= 3 && s.len > h.maxAcked {
			return s
		}
	}
	return nil
}

// liveConns returns the current connection of every flow, oldest first.
func (t *tcpTracker) liveConns() []*tcpConn {
	var out []*tcpConn
	for i := range t.a.flows {
		if c := t.a.flows[i].conn; c != nil {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return firstNum(out[i]) < firstNum(out[j]) })
	return out
}

func firstNum(c *tcpConn) int {
	if len(c.syns) > 0 {
		return c.syns[0]
	}
	return c.handshakeAck
}
