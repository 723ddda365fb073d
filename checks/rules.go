package checks

import (
	"strings"

	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/snapshot"
)

// ruleText is one firewall rule as text, with where it is and its counter.
type ruleText struct {
	Where   string // "legacy filter INPUT", "nft inet filter input"
	Chain   string
	Text    string
	Packets uint64
}

// allRules flattens every iptables backend and the nft ruleset.
func allRules(s *snapshot.Snapshot) []ruleText {
	var out []ruleText
	for _, rs := range s.IPTables {
		for _, t := range rs.Tables {
			for _, c := range t.Chains {
				for _, r := range c.Rules {
					out = append(out, ruleText{Where: string(rs.Backend) + " " + t.Name + " " + c.Name, Chain: c.Name, Text: r.Spec, Packets: r.Packets})
				}
			}
		}
	}
	if s.NFT != nil {
		for _, t := range s.NFT.Tables {
			for _, c := range t.Chains {
				for _, r := range c.Rules {
					var pk uint64
					if r.Counter != nil {
						pk = r.Counter.Packets
					}
					out = append(out, ruleText{Where: "nft " + t.Family + " " + t.Name + " " + c.Name, Chain: c.Name, Text: r.Text, Packets: pk})
				}
			}
		}
	}
	return out
}

// kubeRuleCount counts rules in kube-proxy's chains of one backend.
func kubeRuleCount(rs *iptables.Ruleset) int {
	n := 0
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if strings.HasPrefix(c.Name, "KUBE-") {
				n += len(c.Rules)
			}
		}
	}
	return n
}
