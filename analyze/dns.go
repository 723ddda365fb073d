package analyze

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// dnsQuery is one lookup: a query and its retransmissions with the same ID.
type dnsQuery struct {
	num      int   // first send
	ts       int64 // first send
	resends  []int
	resendTs []int64
	raced    bool // explained by the parallel-query race
	client   netip.AddrPort
	server   netip.AddrPort
	id       uint16
	name     string
	qtype    uint16
	answered bool
	respNum  int
	latency  int64
	rcode    int
}

type dnsTracker struct {
	queries []*dnsQuery
	pending map[dnsKey][]*dnsQuery
	limit   int  // queries tracked at most
	dropped *int // where queries past the limit are counted
}

type dnsKey struct {
	client, server netip.AddrPort
	id             uint16
}

func newDNSTracker(limit int, dropped *int) *dnsTracker {
	return &dnsTracker{pending: make(map[dnsKey][]*dnsQuery), limit: limit, dropped: dropped}
}

func (t *dnsTracker) add(p *packet) {
	var m dns.Msg
	if err := m.Unpack(p.payload); err != nil || len(m.Question) == 0 {
		return
	}
	q := m.Question[0]
	src, dst := netip.AddrPortFrom(p.src, p.sport), netip.AddrPortFrom(p.dst, p.dport)
	if !m.Response {
		k := dnsKey{src, dst, m.Id}
		name := strings.ToLower(q.Name)
		for _, dq := range t.pending[k] {
			if dq.name == name && dq.qtype == q.Qtype {
				dq.resends = append(dq.resends, p.num)
				dq.resendTs = append(dq.resendTs, p.tsNanos)
				return
			}
		}
		if len(t.queries) >= t.limit {
			*t.dropped++
			return
		}
		dq := &dnsQuery{num: p.num, ts: p.tsNanos, client: src, server: dst, id: m.Id, name: name, qtype: q.Qtype}
		t.queries = append(t.queries, dq)
		t.pending[k] = append(t.pending[k], dq)
		return
	}
	k := dnsKey{dst, src, m.Id}
	list := t.pending[k]
	for i, dq := range list {
		if dq.name == strings.ToLower(q.Name) && dq.qtype == q.Qtype {
			dq.answered, dq.respNum, dq.latency, dq.rcode = true, p.num, p.tsNanos-dq.ts, m.Rcode
			t.pending[k] = append(list[:i:i], list[i+1:]...)
			return
		}
	}
}

func qdesc(q *dnsQuery) string {
	return fmt.Sprintf("%s %s", dns.TypeToString[q.qtype], q.name)
}

func (t *dnsTracker) findings(end int64, slow time.Duration, counts *DNSCounts) []Finding {
	out := t.races()
	counts.Queries = len(t.queries)
	unanswered := map[netip.AddrPort]*Finding{}
	var order []netip.AddrPort
	for _, q := range t.queries {
		switch {
		case q.answered:
			counts.Answered++
			if q.rcode == dns.RcodeNameError {
				counts.NXDomain++
			}
			if q.latency > int64(slow) && !q.raced {
				counts.Slow++
				out = append(out, Finding{
					Pattern: "dns-slow", Severity: SevWarn,
					Flow:     fmt.Sprintf("udp %s > %s", q.client, q.server),
					Summary:  fmt.Sprintf("DNS answer for %s from %s took %.2f s", qdesc(q), q.server, seconds(q.latency)),
					Packets:  []int{q.num, q.respNum},
					Evidence: map[string]any{"query": qdesc(q), "server": q.server.String(), "seconds": seconds(q.latency)},
				})
			}
		case end-q.ts >= int64(time.Second) && !q.raced:
			counts.Unanswered++
			f := unanswered[q.server]
			if f == nil {
				f = &Finding{Pattern: "dns-no-answer", Severity: SevWarn,
					Evidence: map[string]any{"server": q.server.String(), "queries": []string{}}}
				unanswered[q.server] = f
				order = append(order, q.server)
			}
			f.Packets = addPkt(f.Packets, q.num)
			for _, n := range q.resends {
				f.Packets = addPkt(f.Packets, n)
			}
			names := f.Evidence["queries"].([]string)
			if d := qdesc(q); len(names) < 20 && !contains(names, d) {
				f.Evidence["queries"] = append(names, d)
			}
			f.Evidence["count"] = len(f.Packets)
			f.Summary = fmt.Sprintf("%d DNS quer(ies) to %s got no answer", len(f.Packets), q.server)
		}
	}
	for _, s := range order {
		out = append(out, *unanswered[s])
	}
	out = append(out, t.nxStorms()...)
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// races finds the A/AAAA pair sent together from one socket where one answer
// never came and the client asked again about 5 s later: the conntrack
// insert race of FAILURE-MODES.md (conntrack-insert-failed).
func (t *dnsTracker) races() []Finding {
	var out []Finding
	for i, q := range t.queries {
		if q.qtype != dns.TypeA && q.qtype != dns.TypeAAAA {
			continue
		}
		// Lost: never answered, or answered only after a resend.
		if q.answered && len(q.resends) == 0 {
			continue
		}
		var sibling *dnsQuery
		for j := max(0, i-8); j < min(len(t.queries), i+8); j++ {
			o := t.queries[j]
			if o != q && o.client == q.client && o.name == q.name && o.qtype != q.qtype &&
				(o.qtype == dns.TypeA || o.qtype == dns.TypeAAAA) && abs(o.ts-q.ts) < int64(100*time.Millisecond) &&
				o.answered && o.latency < int64(time.Second) {
				sibling = o
				break
			}
		}
		if sibling == nil {
			continue
		}
		retryNum, retryTs := 0, int64(0)
		if len(q.resends) > 0 {
			retryNum, retryTs = q.resends[0], q.resendTs[0]
		} else {
			for _, o := range t.queries[i+1:] {
				d := o.ts - q.ts
				if o.client.Addr() == q.client.Addr() && o.name == q.name && o.qtype == q.qtype &&
					d >= int64(4*time.Second) && d <= int64(6500*time.Millisecond) {
					retryNum, retryTs = o.num, o.ts
					break
				}
			}
		}
		q.raced = true
		f := Finding{
			Pattern:  "dns-parallel-query-lost",
			Severity: SevWarn,
			Flow:     fmt.Sprintf("udp %s > %s", q.client, q.server),
			Packets:  []int{sibling.num, q.num, sibling.respNum},
			Evidence: map[string]any{"lost": qdesc(q), "answered": qdesc(sibling), "server": q.server.String()},
		}
		f.Summary = fmt.Sprintf("%s and %s were sent together from %s; only %s was answered", qdesc(sibling), qdesc(q), q.client, dns.TypeToString[sibling.qtype])
		if retryNum != 0 {
			f.Packets = append(f.Packets, retryNum)
			f.Evidence["retrySeconds"] = seconds(retryTs - q.ts)
			f.Summary += fmt.Sprintf(", and the client asked again %.1f s later: the 5 s DNS delay of the conntrack insert race (check conntrack insert_failed; use single-request-reopen or NodeLocal DNSCache)", seconds(retryTs-q.ts))
		}
		out = append(out, f)
	}
	return out
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// nxStorms finds one lookup expanded through the search list into many
// NXDOMAIN answers (ndots:5 with several search domains).
func (t *dnsTracker) nxStorms() []Finding {
	type group struct {
		client netip.Addr
		base   string
		qs     []*dnsQuery
	}
	names := map[netip.Addr]map[string]bool{}
	for _, q := range t.queries {
		if names[q.client.Addr()] == nil {
			names[q.client.Addr()] = map[string]bool{}
		}
		names[q.client.Addr()][q.name] = true
	}
	groups := map[string]*group{}
	var order []string
	for _, q := range t.queries {
		if !q.answered || q.rcode != dns.RcodeNameError {
			continue
		}
		base := searchBase(q.name, names[q.client.Addr()])
		k := q.client.Addr().String() + " " + base
		g := groups[k]
		if g == nil {
			g = &group{client: q.client.Addr(), base: base}
			groups[k] = g
			order = append(order, k)
		}
		g.qs = append(g.qs, q)
	}
	var out []Finding
	for _, k := range order {
		g := groups[k]
		if len(g.qs) < 4 {
			continue
		}
		f := Finding{Pattern: "dns-nxdomain-storm", Severity: SevWarn,
			Evidence: map[string]any{"client": g.client.String(), "name": g.base, "nxdomain": len(g.qs)}}
		var tried []string
		for _, q := range g.qs {
			f.Packets = addPkt(f.Packets, q.num)
			if d := qdesc(q); !contains(tried, d) && len(tried) < 20 {
				tried = append(tried, d)
			}
		}
		sort.Strings(tried)
		f.Evidence["queries"] = tried
		f.Summary = fmt.Sprintf("%s got %d NXDOMAIN answers expanding %q through its search list (ndots): use a trailing dot or lower ndots", g.client, len(g.qs), g.base)
		out = append(out, f)
	}
	return out
}

// searchBase guesses the name a search-list expansion started from: the
// shortest other name this client asked for that prefixes this one at a label
// boundary, else the first label.
func searchBase(name string, asked map[string]bool) string {
	labels := dns.SplitDomainName(name)
	for i := 1; i < len(labels); i++ {
		cand := strings.Join(labels[:i], ".") + "."
		if asked[cand] {
			return cand
		}
	}
	if len(labels) == 0 {
		return name
	}
	return labels[0]
}
