package checks

import (
	"fmt"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "stale-endpoints",
		Title: "service endpoints in this node's pod range belong to live pods",
		Needs: []snapshot.Part{snapshot.PartServices},
		Run: func(s *snapshot.Snapshot) []Finding {
			var out []Finding
			for _, svc := range s.Services {
				for _, e := range svc.Endpoints {
					// A host-network endpoint (the API server on the node's
					// address) is the node itself: never stale.
					if e.Live || e.HostNetwork {
						continue
					}
					name := svc.Name
					if name == "" {
						name = fmt.Sprintf("%s:%d", svc.VIP, svc.Port)
					}
					ev := map[string]any{"service": name, "vip": svc.VIP.String(), "port": svc.Port,
						"endpoint": fmt.Sprintf("%s:%d", e.IP, e.Port), "mode": string(s.ServiceMode)}
					fix := []string{"add a preStop sleep and readiness probes so endpoints are removed before pods go away",
						"check kube-proxy is running and syncing rules"}
					if n := s.ConntrackByDest[e.IP]; n > 0 {
						ev["conntrackEntries"] = n
						fix = append(fix, "clear the old flows: netdiag conntrack delete -d "+e.IP.String()+"   (asks before deleting)")
					}
					out = append(out, Finding{
						Severity: Warn,
						Summary:  fmt.Sprintf("service %s sends traffic to %s:%d, an address in this node's pod range that no pod has: clients get No route to host / Connection refused", name, e.IP, e.Port),
						Evidence: ev,
						Fix:      fix,
						Object:   &Object{Kind: "service", Name: name},
					})
				}
			}
			return out
		},
	})
}
