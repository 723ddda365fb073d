package checks

import (
	"fmt"

	"github.com/netdiag/netdiag/conntrack"
	"github.com/netdiag/netdiag/snapshot"
)

func conntrackDelta(s *snapshot.Snapshot) conntrack.Stats {
	return conntrack.StatsDelta(s.Conntrack[0], s.Conntrack[1])
}

func init() {
	register(Check{
		ID:    "conntrack-insert-failed",
		Title: "conntrack inserts do not race (5 s DNS delays)",
		Needs: []snapshot.Part{snapshot.PartConntrack},
		Run: func(s *snapshot.Snapshot) []Finding {
			d := conntrackDelta(s)
			failed, drop := d.Total("insert_failed"), d.Total("drop")
			if failed == 0 {
				// Newer kernels resolve most clashes: the race happens, nothing is lost.
				if clash := d.Total("clash_resolve"); clash > 0 {
					return []Finding{{
						Severity: Info,
						Summary:  fmt.Sprintf("conntrack resolved %d insert clashes in %.0f s (parallel queries from one socket race; this kernel resolves them without a drop)", clash, s.Interval.Seconds()),
						Evidence: map[string]any{"clashResolveDelta": clash, "sampleSeconds": s.Interval.Seconds()},
						Object:   nodeObject(s),
					}}
				}
				return nil
			}
			sev := Warn
			if drop > 0 {
				sev = Fail
			}
			ev := map[string]any{"insertFailedDelta": failed, "dropDelta": drop,
				"sampleSeconds": s.Interval.Seconds(), "insertFailedTotal": s.Conntrack[1].Total("insert_failed")}
			if v := d.Total("clash_resolve"); v > 0 {
				ev["clashResolveDelta"] = v
			}
			return []Finding{{
				Severity: sev,
				Summary: fmt.Sprintf("conntrack insert_failed grew by %d in %.0f s (drop by %d): parallel A/AAAA DNS queries from one socket race, and lookups stall for 5 s",
					failed, s.Interval.Seconds(), drop),
				Evidence: ev,
				Fix: []string{
					"add `options single-request-reopen` (glibc) or use-vc to the pods' dnsConfig",
					"deploy NodeLocal DNSCache",
					"upgrade the kernel (5.0+ resolves most clashes)",
				},
				Object: nodeObject(s),
			}}
		},
	})
}
