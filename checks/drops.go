package checks

import "github.com/netdiag/netdiag/snapshot"

// dropReasons are the kernel drop reasons that bear on each check: when the
// sample saw them, the check's findings carry them as evidence.
var dropReasons = map[string][]string{
	"rp-filter":          {"IP_RPFILTER"},
	"listen-overflow":    {"TCP_LISTEN_OVERFLOW"},
	"bridge-arp":         {"NEIGH_FAILED", "NEIGH_QUEUEFULL"},
	"pod-cidr-overlap":   {"IP_INNOROUTES", "IP_OUTNOROUTES"},
	"overlay-blocked":    {"NETFILTER_DROP"},
	"no-local-endpoints": {"NETFILTER_DROP"},
	"softnet-drops":      loadReasons,
}

// dropScope says what the drop counts cover.
const dropScope = "the whole kernel, every network namespace: the skb:kfree_skb tracepoint does not say which netns dropped"

// addDropEvidence adds the sampled drops of the reasons that bear on a
// finding's check to its evidence.
func addDropEvidence(s *snapshot.Snapshot, f *Finding) {
	reasons := dropReasons[f.Check]
	if len(reasons) == 0 || len(s.Drops) == 0 {
		return
	}
	var seen []map[string]any
	netfilter := false
	for _, c := range s.Drops {
		for _, r := range reasons {
			if c.Reason == r {
				seen = append(seen, map[string]any{"reason": c.Reason, "function": c.Function, "count": c.Count})
				netfilter = netfilter || r == "NETFILTER_DROP"
			}
		}
	}
	if len(seen) == 0 {
		return
	}
	f.Evidence["dropReasons"] = seen
	f.Evidence["dropReasonsScope"] = dropScope
	if netfilter {
		f.Fix = append(f.Fix, "name the rule that drops with `netdiag trace` (e.g. --pod-ip IP --node -p udp --dport PORT): it prints each rule a packet meets, with its verdict")
	}
}
