package checks

import (
	"fmt"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "conntrack-table",
		Title: "the conntrack table has room",
		Needs: []snapshot.Part{snapshot.PartConntrack},
		Run: func(s *snapshot.Snapshot) []Finding {
			ct := s.Conntrack[1]
			ev := map[string]any{"count": ct.Count}
			sev, why := "", ""
			if ct.HasMax && ct.Max > 0 {
				pct := float64(ct.Count) * 100 / float64(ct.Max)
				ev["max"] = ct.Max
				ev["percent"] = round1(pct)
				switch {
				case pct >= 90:
					sev, why = Fail, fmt.Sprintf("conntrack table is %.0f%% full (%d of %d)", pct, ct.Count, ct.Max)
				case pct >= 75:
					sev, why = Warn, fmt.Sprintf("conntrack table is %.0f%% full (%d of %d)", pct, ct.Count, ct.Max)
				}
			}
			for _, e := range s.Kernel {
				if e.Kind == "conntrack-table-full" {
					ev["kernelLog"] = e
					sev = Fail
					if why == "" {
						why = fmt.Sprintf("the kernel logged %q %d times", "nf_conntrack: table full, dropping packet", e.Count)
					} else {
						why += fmt.Sprintf(", and the kernel logged \"table full\" %d times", e.Count)
					}
				}
			}
			d := conntrackDelta(s)
			if v := d.Total("early_drop"); v > 0 {
				ev["earlyDropDelta"] = v
			}
			if sev == "" {
				return nil
			}
			return []Finding{{
				Severity: sev,
				Summary:  why + ": new connections are dropped intermittently",
				Evidence: ev,
				Fix: []string{
					"sysctl -w net.netfilter.nf_conntrack_max=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 32 ))",
					"reduce flows per node (NodeLocal DNSCache avoids one conntrack entry per DNS query)",
				},
				Object: nodeObject(s),
			}}
		},
	})
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
