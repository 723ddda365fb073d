package nftrace

import (
	"fmt"
	"regexp"
	"time"

	"github.com/netdiag/netdiag/dropmon"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/nsutil"
)

// Syntaxes of rule text.
const (
	SyntaxNFT      = "nft"      // as `netdiag nft` (nft list ruleset) prints it
	SyntaxIPTables = "iptables" // as `netdiag iptables` (iptables-save) prints it
)

// counterText is the counter a rule's text carries when it was read; the
// numbers say nothing about the traced packet.
var counterText = regexp.MustCompile(`counter packets \d+ bytes \d+`)

type ruleKey struct {
	family, table, chain string
	handle               uint64
}

type ruleText struct {
	text, syntax string
}

// Names finds the text of the rules trace events name by handle: the
// iptables-save line for iptables-nft's tables (iptables.Read),
// the nft text for every other table (nftables.Dump).
type Names struct {
	ns     *nsutil.NetNS
	rules  map[ruleKey]ruleText
	loaded time.Time
	// Err is the last error reading the rules; names then fall back to
	// the handle.
	Err error
}

// LoadNames reads the rules of ns.
func LoadNames(ns *nsutil.NetNS) *Names {
	n := &Names{ns: ns}
	n.load()
	return n
}

func (n *Names) load() {
	n.loaded = time.Now()
	rules := map[ruleKey]ruleText{}
	rs, err := nftables.Dump(n.ns, "", "")
	if err == nil {
		for _, t := range rs.Tables {
			for _, c := range t.Chains {
				for _, r := range c.Rules {
					text := counterText.ReplaceAllString(r.Text, "counter")
					rules[ruleKey{t.Family, t.Name, c.Name, r.Handle}] = ruleText{text, SyntaxNFT}
				}
			}
		}
	}
	n.Err = err
	for fam, ip6 := range map[string]bool{"ip": false, "ip6": true} {
		ipt, err := iptables.Read(n.ns, ip6)
		if err != nil {
			continue // not iptables-nft's, or not translatable: nft text stays
		}
		for _, t := range ipt.Tables {
			for _, c := range t.Chains {
				for _, r := range c.Rules {
					if r.Handle != 0 {
						rules[ruleKey{fam, t.Name, c.Name, r.Handle}] = ruleText{"-A " + c.Name + " " + r.Spec, SyntaxIPTables}
					}
				}
			}
		}
	}
	n.rules = rules
}

// Rule returns the text of the rule an event names and its syntax. A rule
// added after the rules were read makes them be read again, at most once a
// second; one still unknown is named by its handle.
func (n *Names) Rule(e Event) (string, string) {
	if e.Kind != KindRule {
		return "", ""
	}
	k := ruleKey{e.Family, e.Table, e.Chain, e.Handle}
	r, ok := n.rules[k]
	if !ok && time.Since(n.loaded) > time.Second {
		n.load()
		r, ok = n.rules[k]
	}
	if !ok {
		return fmt.Sprintf("handle %d", e.Handle), SyntaxNFT
	}
	return r.text, r.syntax
}

// Step is one point of a packet's path.
type Step struct {
	Family  string `json:"family"`
	Table   string `json:"table"`
	Chain   string `json:"chain"`
	Kind    string `json:"kind"` // rule, return, policy
	Handle  uint64 `json:"handle,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Syntax  string `json:"syntax,omitempty"` // iptables or nft
	Verdict string `json:"verdict"`
}

// Path is everything one traced packet met, in order.
type Path struct {
	ID     string          `json:"id"`
	Packet *dropmon.Packet `json:"packet,omitempty"` // from the first event with headers
	IIF    uint32          `json:"iif,omitempty"`
	OIF    uint32          `json:"oif,omitempty"`
	Steps  []Step          `json:"steps"`
}

// Paths groups events by packet, in the order packets first appear.
type Paths struct {
	order []uint32
	byID  map[uint32]*Path
}

// Add records an event as a step of its packet's path and returns the step.
func (p *Paths) Add(e Event, names *Names) Step {
	if p.byID == nil {
		p.byID = map[uint32]*Path{}
	}
	path, ok := p.byID[e.ID]
	if !ok {
		path = &Path{ID: fmt.Sprintf("%08x", e.ID), Steps: []Step{}}
		p.byID[e.ID] = path
		p.order = append(p.order, e.ID)
	}
	if pk, ok := e.Packet(); ok && path.Packet == nil {
		path.Packet = &pk
	}
	if e.IIF != 0 && path.IIF == 0 {
		path.IIF = e.IIF
	}
	if e.OIF != 0 && path.OIF == 0 {
		path.OIF = e.OIF
	}
	st := Step{Family: e.Family, Table: e.Table, Chain: e.Chain, Kind: e.Kind, Handle: e.Handle, Verdict: e.Verdict}
	if names != nil {
		st.Rule, st.Syntax = names.Rule(e)
	}
	path.Steps = append(path.Steps, st)
	return st
}

// All returns the paths in the order their packets appeared.
func (p *Paths) All() []*Path {
	out := make([]*Path, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.byID[id])
	}
	return out
}

// Has reports whether a packet with this trace id was seen.
func (p *Paths) Has(id uint32) bool {
	_, ok := p.byID[id]
	return ok
}

// Len is the number of packets seen.
func (p *Paths) Len() int { return len(p.order) }
