package dropmon

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Count is how many packets one kernel function dropped for one reason.
type Count struct {
	Reason   string `json:"reason"`
	Function string `json:"function"`
	// Location is the first drop site seen in the function, as %pS prints
	// it (nf_hook_slow+0x9c/0x150), or the bare address when unnamed.
	Location string `json:"location"`
	Protocol string `json:"protocol"`
	Count    uint64 `json:"count"`
	// Examples are packets of this count when the source carries them
	// (NET_DM), at most maxExamples.
	Examples []Packet `json:"examples,omitempty"`
}

// maxExamples bounds the packets kept per count.
const maxExamples = 3

// Report is what was counted over one span of time.
type Report struct {
	Source   string        `json:"source"` // "tracepoint" or "netdm"
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"-"`
	Counts   []Count       `json:"drops"`
	Total    uint64        `json:"total"`
	// Lost counts drops the kernel could not hand over (a full ring or
	// queue); they are not in Counts.
	Lost uint64 `json:"lost"`
}

// MarshalJSON adds the duration as Go prints it ("1.002s").
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		*plain
		Duration string `json:"duration"`
	}{(*plain)(r), r.Duration.Round(time.Millisecond).String()})
}

// key groups drops as Counts do.
type key struct {
	reason   string
	function string
	protocol uint16
}

// tally accumulates drops between two reports.
type tally struct {
	byKey map[key]*Count
	total uint64
	lost  uint64
}

func newTally() *tally { return &tally{byKey: map[key]*Count{}} }

// add counts one drop whose reason and function are already named.
func (t *tally) add(reason, function, location string, proto uint16, p *Packet) {
	k := key{reason, function, proto}
	c, ok := t.byKey[k]
	if !ok {
		c = &Count{Reason: reason, Function: function, Location: location, Protocol: ProtocolName(proto)}
		t.byKey[k] = c
	}
	c.Count++
	t.total++
	if p != nil && len(c.Examples) < maxExamples {
		c.Examples = append(c.Examples, *p)
	}
}

// counts returns the counts, highest first, then by reason and function.
func (t *tally) counts() []Count {
	out := make([]Count, 0, len(t.byKey))
	for _, c := range t.byKey {
		out = append(out, *c)
	}
	SortCounts(out)
	return out
}

// SortCounts orders counts highest first, then by reason, function and
// protocol, so equal inputs print the same.
func SortCounts(cs []Count) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Reason != b.Reason {
			return a.Reason < b.Reason
		}
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		return a.Protocol < b.Protocol
	})
}

// Merge adds the counts of o to r (for a total over several intervals).
func (r *Report) Merge(o *Report) {
	idx := map[[3]string]int{}
	for i, c := range r.Counts {
		idx[[3]string{c.Reason, c.Function, c.Protocol}] = i
	}
	for _, c := range o.Counts {
		k := [3]string{c.Reason, c.Function, c.Protocol}
		if i, ok := idx[k]; ok {
			r.Counts[i].Count += c.Count
			for _, e := range c.Examples {
				if len(r.Counts[i].Examples) < maxExamples {
					r.Counts[i].Examples = append(r.Counts[i].Examples, e)
				}
			}
			continue
		}
		idx[k] = len(r.Counts)
		c.Examples = append([]Packet(nil), c.Examples...)
		r.Counts = append(r.Counts, c)
	}
	r.Total += o.Total
	r.Lost += o.Lost
	if r.Start.IsZero() || (!o.Start.IsZero() && o.Start.Before(r.Start)) {
		r.Start = o.Start
	}
	r.Duration += o.Duration
	SortCounts(r.Counts)
}

// ByReason sums counts per reason name.
func (r *Report) ByReason() map[string]uint64 {
	out := map[string]uint64{}
	for _, c := range r.Counts {
		out[c.Reason] += c.Count
	}
	return out
}

// ProtocolName names an EtherType as ip(8) and tcpdump do, or prints it in
// hex; 0 (skb->protocol not set yet) is "none".
func ProtocolName(p uint16) string {
	switch p {
	case 0:
		return "none"
	case 0x0800:
		return "ipv4"
	case 0x86dd:
		return "ipv6"
	case 0x0806:
		return "arp"
	case 0x8100:
		return "802.1q"
	case 0x88a8:
		return "802.1ad"
	case 0x8847:
		return "mpls"
	case 0x0003:
		return "all" // ETH_P_ALL, seen on packet sockets
	case 0x0004:
		return "802.2"
	}
	return fmt.Sprintf("0x%04x", p)
}

// normalizeReason spells a reason as the kernel prints it.
func normalizeReason(s string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SKB_DROP_REASON_")
}
