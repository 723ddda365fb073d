package checks

import (
	"fmt"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "iptables-mixed-backends",
		Title: "kube rules live in one iptables backend",
		Needs: []snapshot.Part{snapshot.PartRules},
		Run: func(s *snapshot.Snapshot) []Finding {
			counts := map[string]int{}
			for _, rs := range s.IPTables {
				if n := kubeRuleCount(rs); n > 0 {
					counts[string(rs.Backend)] = n
				}
			}
			if len(counts) < 2 {
				return nil
			}
			return []Finding{{
				Severity: Warn,
				Summary:  fmt.Sprintf("kube rules exist in both iptables backends (legacy %d, nft %d): components disagree, and rules seem to disappear or be ignored", counts["legacy"], counts["nft"]),
				Evidence: map[string]any{"legacyKubeRules": counts["legacy"], "nftKubeRules": counts["nft"]},
				Fix: []string{"make kubelet, kube-proxy and the CNI use the same iptables backend (iptables-wrappers picks the one with rules)",
					"then flush the stale backend's KUBE-* chains: iptables-legacy-save / iptables-nft-save show which"},
				Object: nodeObject(s),
			}}
		},
	})
}
