package checks

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/netdiag/netdiag/snapshot"

	"github.com/netdiag/netdiag/kubeproxy"
)

var noLocalRE = regexp.MustCompile(`"?([^" ]+/[^" ]+) has no local endpoints"?`)

func init() {
	register(Check{
		ID:    "no-local-endpoints",
		Title: "services with a Local traffic policy have local endpoints",
		Needs: []snapshot.Part{snapshot.PartRules},
		Run: func(s *snapshot.Snapshot) []Finding {
			drops := map[string]uint64{}
			where := map[string]string{}
			for _, r := range allRules(s) {
				m := noLocalRE.FindStringSubmatch(r.Text)
				if m == nil {
					continue
				}
				drops[m[1]] += r.Packets
				where[m[1]] = r.Where
			}
			// nftables mode drops through a map element, which has no
			// comment or counter: the decoded services say it.
			for _, svc := range s.Services {
				if svc.NoEndpoints == kubeproxy.NoEndpointsDrop && svc.Name != "" {
					if _, ok := drops[svc.Name]; !ok {
						drops[svc.Name] = 0
						where[svc.Name] = string(s.ServiceMode) + " " + svc.Chain
					}
				}
			}
			names := make([]string, 0, len(drops))
			for n := range drops {
				names = append(names, n)
			}
			sort.Strings(names)
			var out []Finding
			for _, n := range names {
				f := Finding{
					Severity: Info,
					Summary:  fmt.Sprintf("service %s has a Local traffic policy (externalTrafficPolicy or internalTrafficPolicy) and no endpoint on this node: traffic that reaches this node for it is dropped", n),
					Evidence: map[string]any{"service": n, "droppedPackets": drops[n], "rule": where[n]},
					Fix: []string{"point the load balancer's health check at the service's healthCheckNodePort so it skips this node",
						"spread the endpoints (topology spread constraints) or use externalTrafficPolicy: Cluster"},
					Object: &Object{Kind: "service", Name: n},
				}
				if drops[n] > 0 {
					f.Severity = Warn
					f.Summary = fmt.Sprintf("service %s has no local endpoint but this node still received %d packets for it, all dropped: the load balancer sends clients here", n, drops[n])
				}
				out = append(out, f)
			}
			return out
		},
	})
}
