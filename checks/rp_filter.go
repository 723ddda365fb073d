package checks

import (
	"fmt"
	"strconv"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "rp-filter",
		Title: "reverse-path filtering does not drop pod replies",
		Needs: []snapshot.Part{snapshot.PartSysctls, snapshot.PartCounters, snapshot.PartLinks},
		Run: func(s *snapshot.Snapshot) []Finding {
			grew, ok := snapshot.CounterDelta(s.Node.Counters, "TcpExtIPReversePathFilter")
			if !ok || grew <= 0 {
				return nil
			}
			all, _ := strconv.Atoi(s.Node.Sysctls["net.ipv4.conf.all.rp_filter"])
			var strict []string
			for _, l := range s.Node.Links {
				v, _ := strconv.Atoi(s.Node.Sysctls["net.ipv4.conf."+l.Name+".rp_filter"])
				if max(all, v) == 1 && l.Name != "lo" {
					strict = append(strict, l.Name)
				}
			}
			if len(strict) == 0 {
				return nil
			}
			return []Finding{{
				Severity: Warn,
				Summary:  fmt.Sprintf("strict reverse-path filtering (rp_filter=1) on %v dropped %d packets in %.0f s: asymmetric paths lose replies silently", strict, grew, s.Interval.Seconds()),
				Evidence: map[string]any{"interfaces": strict, "net.ipv4.conf.all.rp_filter": all, "IPReversePathFilterDelta": grew},
				Fix:      []string{"sysctl -w net.ipv4.conf.all.rp_filter=2   (loose), or 0 where the CNI requires it"},
				Object:   nodeObject(s),
			}}
		},
	})
}
