package checks

import (
	"fmt"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "bridge-arp",
		Title: "the node can reach every pod's address on the bridge",
		Needs: []snapshot.Part{snapshot.PartPods, snapshot.PartLinks},
		Run: func(s *snapshot.Snapshot) []Finding {
			bad := map[string]snapshot.Neighbor{}
			for _, n := range s.Node.Neighbors {
				if n.State == "FAILED" || n.State == "INCOMPLETE" {
					bad[n.IP.String()] = n
				}
			}
			var out []Finding
			for i := range s.Pods {
				p := &s.Pods[i]
				for _, ip := range p.IPs {
					n, ok := bad[ip]
					if !ok {
						continue
					}
					ev := map[string]any{"pod": p.FullName(), "ip": ip, "neighborState": n.State, "dev": n.Dev}
					if h := p.HostInterface; h != nil {
						ev["hostVeth"], ev["hostVethUp"], ev["master"] = h.Name, h.Up, h.Master
					}
					out = append(out, Finding{
						Severity: Warn,
						Summary:  fmt.Sprintf("pod %s (%s) does not answer ARP on %s (neighbour %s): it is unreachable although the bridge is up", p.FullName(), ip, n.Dev, n.State),
						Evidence: ev,
						Fix:      []string{"ip neigh show " + ip, "check the pod's veth is attached to the bridge and up: netdiag pods", "bridge fdb show br " + n.Dev},
						Object:   &Object{Kind: "pod", Name: p.FullName()},
					})
				}
			}
			return out
		},
	})
}
