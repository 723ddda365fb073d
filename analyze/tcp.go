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

type tcpConn struct {
	client, server netip.AddrPort
	key            flowKey
	noSyn          bool // first seen mid-stream
	est            bool
	isn            uint32
	syns           []int
	synTs          []int64
	synAcks        []int
	synAckAfterEst []int
	handshakeAck   int
	serverRST      []int
	icmpPkts       []int
	icmpKind       string
	icmpFrom       string
	fin            [2]bool
	resetPkt       int
	resetBy        string
	d              [2]half
	lastTs         int64
}

type tcpTracker struct {
	live map[flowKey]*tcpConn
	done []*tcpConn
}

func newTCPTracker() *tcpTracker { return &tcpTracker{live: make(map[flowKey]*tcpConn)} }

func (t *tcpTracker) add(p *packet) {
	src, dst := netip.AddrPortFrom(p.src, p.sport), netip.AddrPortFrom(p.dst, p.dport)
	k := canonical(protoTCP, src, dst)
	c := t.live[k]
	syn, ack, rst, fin := p.flags&tcpSYN != 0, p.flags&tcpACK != 0, p.flags&tcpRST != 0, p.flags&tcpFIN != 0
	if syn && !ack && c != nil && (c.est || c.noSyn || c.isn != p.seq || c.client != src) {
		// A new connection on the same ports: the old one is over.
		t.done = append(t.done, c)
		c = nil
	}
	if c == nil {
		c = &tcpConn{key: k, client: src, server: dst}
		switch {
		case syn && !ack:
			c.isn = p.seq
		case syn && ack:
			c.client, c.server = dst, src
		default:
			c.noSyn = true
			// Guess the client by its ephemeral port.
			if p.sport < p.dport {
				c.client, c.server = dst, src
			}
		}
		t.live[k] = c
	}
	c.lastTs = p.tsNanos
	d := 0
	if src != c.client {
		d = 1
	}
	switch {
	case syn && !ack && d == 0:
		c.syns = addPkt(c.syns, p.num)
		c.synTs = append(c.synTs, p.tsNanos)
		c.d[0].next, c.d[0].hasNext = p.seq+1, true
	case syn && ack && d == 1:
		if c.est {
			c.synAckAfterEst = addPkt(c.synAckAfterEst, p.num)
		}
		c.synAcks = addPkt(c.synAcks, p.num)
		c.d[1].next, c.d[1].hasNext = p.seq+1, true
	case rst:
		switch {
		case !c.est && d == 1 && len(c.synAcks) == 0 && len(c.syns) > 0:
			c.serverRST = addPkt(c.serverRST, p.num)
		case (c.est || c.noSyn) && !c.fin[0] && !c.fin[1] && c.resetPkt == 0:
			c.resetPkt = p.num
			c.resetBy = "client"
			if d == 1 {
				c.resetBy = "server"
			}
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
		c.d[d].data(p)
	}
	if ack {
		c.d[1-d].ackedTo(p.ack)
	}
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
	k := canonical(protoTCP, netip.AddrPortFrom(in.src, in.sport), netip.AddrPortFrom(in.dst, in.dport))
	c := t.live[k]
	if c == nil {
		return
	}
	c.icmpPkts = addPkt(c.icmpPkts, p.num)
	c.icmpKind = kind
	c.icmpFrom = p.src.String()
}

// state is the connection's outcome.
func (c *tcpConn) state(end int64) string {
	switch {
	case c.noSyn || len(c.syns) == 0:
		return "mid-stream"
	case c.est:
		return "established"
	case len(c.serverRST) > 0:
		return "refused"
	case len(c.icmpPkts) > 0:
		return "unreachable"
	case len(c.synAcks) > 0:
		return "handshake-incomplete"
	case len(c.syns) < 2 && end-c.synTs[len(c.synTs)-1] < 1e9:
		return "open" // the capture ended before an answer was due
	}
	return "timeout"
}

// agg groups findings of one pattern towards one server.
type agg struct {
	f     Finding
	conns int
}

func (t *tcpTracker) findings(end int64, counts *TCPCounts, flows map[flowKey]*Flow) []Finding {
	all := append(append([]*tcpConn(nil), t.done...), liveConns(t.live)...)
	groups := map[string]*agg{}
	var order []string
	group := func(key string, mk func() Finding, pkts ...[]int) *agg {
		g := groups[key]
		if g == nil {
			g = &agg{f: mk()}
			groups[key] = g
			order = append(order, key)
		}
		g.conns++
		for _, l := range pkts {
			for _, n := range l {
				g.f.Packets = addPkt(g.f.Packets, n)
			}
		}
		return g
	}
	for _, c := range all {
		st := c.state(end)
		if f := flows[c.key]; f != nil {
			f.State = st
		}
		srv := c.server.String()
		flow := fmt.Sprintf("tcp %s > %s", c.client, c.server)
		if len(c.syns) > 0 {
			counts.Attempts++
		}
		switch st {
		case "established":
			counts.Established++
		case "refused":
			counts.Refused++
			g := group("refused "+srv, func() Finding {
				return Finding{Pattern: "tcp-refused", Severity: SevWarn, Flow: flow,
					Evidence: map[string]any{"server": srv}}
			}, c.syns, c.serverRST)
			g.f.Summary = fmt.Sprintf("%d connection attempt(s) to %s refused: the server answered the SYN with RST (nothing listens on that port)", g.conns, srv)
			g.f.Evidence["attempts"] = g.conns
		case "unreachable":
			counts.Unreachable++
			g := group("unreach "+srv+" "+c.icmpKind, func() Finding {
				return Finding{Pattern: "tcp-unreachable", Severity: SevWarn, Flow: flow,
					Evidence: map[string]any{"server": srv, "kind": c.icmpKind, "from": c.icmpFrom}}
			}, c.syns, c.icmpPkts)
			g.f.Summary = fmt.Sprintf("%d connection attempt(s) to %s answered with ICMP %s from %s", g.conns, srv, c.icmpKind, c.icmpFrom)
			g.f.Evidence["attempts"] = g.conns
		case "timeout":
			counts.TimedOut++
			g := group("timeout "+srv, func() Finding {
				return Finding{Pattern: "tcp-syn-timeout", Severity: SevWarn, Flow: flow,
					Evidence: map[string]any{"server": srv, "synsSent": 0}}
			}, c.syns)
			g.f.Evidence["synsSent"] = g.f.Evidence["synsSent"].(int) + len(c.syns)
			g.f.Evidence["attempts"] = g.conns
			span := seconds(c.synTs[len(c.synTs)-1] - c.synTs[0])
			g.f.Summary = fmt.Sprintf("%d connection attempt(s) to %s got no answer: SYN sent %d time(s) over %.1f s, no SYN-ACK, RST or ICMP (dropped on the way or at the server)", g.conns, srv, len(c.syns), span)
		case "handshake-incomplete":
			g := group("incomplete "+srv, func() Finding {
				return Finding{Pattern: "tcp-handshake-incomplete", Severity: SevWarn, Flow: flow,
					Evidence: map[string]any{"server": srv}}
			}, c.syns, c.synAcks)
			g.f.Evidence["attempts"] = g.conns
			g.f.Summary = fmt.Sprintf("%d connection attempt(s) to %s: the server's SYN-ACK got no ACK from the client", g.conns, srv)
		}
		if c.est {
			t.established(c, end, group)
		}
		if c.resetPkt != 0 {
			g := group("reset "+srv+" "+c.resetBy, func() Finding {
				return Finding{Pattern: "tcp-reset", Severity: SevWarn, Flow: flow,
					Evidence: map[string]any{"server": srv, "by": c.resetBy}}
			}, []int{c.resetPkt})
			g.f.Evidence["connections"] = g.conns
			g.f.Summary = fmt.Sprintf("%d connection(s) with %s reset mid-stream by the %s (RST before any FIN)", g.conns, srv, c.resetBy)
		}
	}
	out := make([]Finding, 0, len(order))
	for _, k := range order {
		out = append(out, groups[k].f)
	}
	return out
}

func (t *tcpTracker) established(c *tcpConn, end int64, group func(string, func() Finding, ...[]int) *agg) {
	srv := c.server.String()
	flow := fmt.Sprintf("tcp %s > %s", c.client, c.server)
	cl, sv := &c.d[0], &c.d[1]
	switch {
	case len(c.synAckAfterEst) > 0:
		g := group("overflow "+srv, func() Finding {
			return Finding{Pattern: "tcp-listen-overflow", Severity: SevWarn, Flow: flow,
				Evidence: map[string]any{"server": srv}}
		}, []int{c.handshakeAck}, c.synAckAfterEst, cl.retrans)
		g.f.Evidence["connections"] = g.conns
		g.f.Summary = fmt.Sprintf("%d connection(s) to %s: the server retransmitted its SYN-ACK after the client's ACK, so it dropped that ACK%s — its listen (accept) queue overflowed", g.conns, srv, dataNote(cl, sv))
	case cl.dataBytes > 0 && sv.dataBytes == 0 && (c.fin[1] || c.resetBy == "server" || end-cl.firstData >= 1e9):
		acked := cl.everAcked
		g := group("nodata "+srv, func() Finding {
			return Finding{Pattern: "tcp-no-server-data", Severity: SevWarn, Flow: flow,
				Evidence: map[string]any{"server": srv}}
		}, []int{c.handshakeAck}, cl.retrans)
		g.f.Evidence["connections"] = g.conns
		g.f.Evidence["clientDataAcked"] = acked
		why := "the kernel acknowledged the request but the application never answered (not accepting or not responding)"
		if !acked {
			why = "the server did not even acknowledge the request: its accept queue is full or the data is dropped"
		}
		g.f.Summary = fmt.Sprintf("%d connection(s) to %s completed the handshake and sent data, but the server sent none back: %s", g.conns, srv, why)
	}
	for _, h := range []*half{cl, sv} {
		if s := h.blackhole(); s != nil {
			g := group("mtu "+flow, func() Finding {
				return Finding{Pattern: "pmtu-blackhole", Severity: SevFail, Flow: flow,
					Evidence: map[string]any{"segmentBytes": s.len, "timesSent": s.sent, "largestAcked": h.maxAcked}}
			}, s.pkts)
			g.f.Summary = fmt.Sprintf("%s: a %d-byte segment was sent %d times and never acknowledged while segments up to %d bytes were: packets that large do not cross the path (MTU black hole)", flow, s.len, s.sent, h.maxAcked)
			return
		}
	}
	for i, h := range []*half{cl, sv} {
		if h.nRetrans < 3 && h.worst.sent < 3 {
			continue
		}
		from := []string{"client", "server"}[i]
		g := group("retrans "+flow+from, func() Finding {
			return Finding{Pattern: "tcp-retransmissions", Severity: SevWarn, Flow: flow,
				Evidence: map[string]any{"from": from}}
		}, h.retrans)
		g.f.Evidence["retransmissions"] = h.nRetrans
		stall := seconds(h.worst.lastTs - h.worst.firstTs)
		g.f.Evidence["longestStallSeconds"] = stall
		g.f.Summary = fmt.Sprintf("%s: %d retransmission(s) by the %s; one segment was sent %d times over %.1f s (data stalled)", flow, h.nRetrans, from, h.worst.sent, stall)
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

func liveConns(m map[flowKey]*tcpConn) []*tcpConn {
	out := make([]*tcpConn, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return firstNum(out[i]) < firstNum(out[j]) })
	return out
}

func firstNum(c *tcpConn) int {
	if len(c.syns) > 0 {
		return c.syns[0]
	}
	return c.handshakeAck
}
