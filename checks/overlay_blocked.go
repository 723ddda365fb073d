package checks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/snapshot"
)

// dropsUDPPort reports whether a rule's text drops or rejects UDP to port.
func dropsUDPPort(text string, port int) bool {
	t := " " + text + " "
	if !strings.Contains(t, "udp") {
		return false
	}
	if !(strings.Contains(t, "-j DROP") || strings.Contains(t, "-j REJECT") || strings.HasSuffix(strings.TrimSpace(t), "drop") ||
		strings.Contains(t, " drop ") || strings.Contains(t, " reject")) {
		return false
	}
	p := strconv.Itoa(port)
	for _, m := range portRE.FindAllStringSubmatch(t, -1) {
		for _, v := range strings.FieldsFunc(m[2], func(r rune) bool { return r == ',' || r == ' ' || r == '{' || r == '}' }) {
			if v == p {
				return true
			}
			if lo, hi, ok := strings.Cut(v, ":"); ok && inRange(port, lo, hi) {
				return true
			}
			if lo, hi, ok := strings.Cut(v, "-"); ok && inRange(port, lo, hi) {
				return true
			}
		}
	}
	return false
}

// portRE finds iptables (--dport 8472, --dports 4789,8472) and nft (udp dport
// 8472, udp dport { 4789, 8472 }) destination port matches.
var portRE = regexp.MustCompile(`(--dports?|udp dport|th dport) (\{[^}]*\}|\S+)`)

func inRange(p int, lo, hi string) bool {
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	return err1 == nil && err2 == nil && a <= p && p <= b
}

func init() {
	register(Check{
		ID:    "overlay-blocked",
		Title: "the node firewall lets overlay traffic in",
		Needs: []snapshot.Part{snapshot.PartLinks, snapshot.PartRules},
		Run: func(s *snapshot.Snapshot) []Finding {
			var out []Finding
			rules := allRules(s)
			for _, l := range s.Node.Links {
				if (l.Kind != "vxlan" && l.Kind != "geneve") || l.DstPort == 0 {
					continue
				}
				// iptables-nft rules show up in both the iptables and the nft
				// dump: one finding per device, listing every rule.
				var hits []map[string]any
				for _, r := range rules {
					if dropsUDPPort(r.Text, l.DstPort) {
						hits = append(hits, map[string]any{"rule": r.Text, "where": r.Where, "packets": r.Packets})
					}
				}
				if len(hits) == 0 {
					continue
				}
				out = append(out, Finding{
					Severity: Fail,
					Summary:  fmt.Sprintf("%s device %s uses UDP %d but a rule in %s drops that port: pods on other nodes are unreachable (100%% loss)", l.Kind, l.Name, l.DstPort, hits[0]["where"]),
					Evidence: map[string]any{"device": l.Name, "udpPort": l.DstPort, "rule": hits[0]["rule"], "rules": hits},
					Fix: []string{fmt.Sprintf("remove the rule, or allow UDP %d between nodes in the host firewall and the cloud firewall", l.DstPort),
						fmt.Sprintf("test the path: netdiag probe --udp NODE-IP:%d", l.DstPort)},
					Object: &Object{Kind: "interface", Name: l.Name},
				})
			}
			return out
		},
	})
}
