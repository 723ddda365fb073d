package checks

import "github.com/netdiag/netdiag/snapshot"

func init() {
	register(Check{
		ID:    "bridge-down",
		Title: "the pod bridge is up",
		Needs: []snapshot.Part{snapshot.PartPods, snapshot.PartLinks},
		Run: func(s *snapshot.Snapshot) []Finding {
			var out []Finding
			bridges := podBridges(s)
			for _, name := range sortedKeys(bridges) {
				l := s.Node.Link(name)
				if l == nil || l.Up {
					continue
				}
				out = append(out, Finding{
					Severity: Fail,
					Summary:  "bridge " + name + " that pod veths are attached to is down: no pod on this node has connectivity",
					Evidence: map[string]any{"bridge": name, "adminUp": l.AdminUp, "up": l.Up, "ports": bridges[name]},
					Fix:      []string{"ip link set " + name + " up"},
					Object:   &Object{Kind: "interface", Name: name},
				})
			}
			return out
		},
	})
}
