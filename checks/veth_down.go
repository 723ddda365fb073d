package checks

import "github.com/netdiag/netdiag/snapshot"

func init() {
	register(Check{
		ID:    "veth-down",
		Title: "every pod's host veth is up and attached",
		Needs: []snapshot.Part{snapshot.PartPods, snapshot.PartLinks},
		Run: func(s *snapshot.Snapshot) []Finding {
			var out []Finding
			bridged := len(podBridges(s)) > 0
			var bridge string
			for _, b := range sortedKeys(podBridges(s)) {
				bridge = b
			}
			for i := range s.Pods {
				p := &s.Pods[i]
				h := p.HostInterface
				if h == nil || p.HostNetwork {
					continue
				}
				ev := map[string]any{"pod": p.FullName(), "hostVeth": h.Name, "up": h.Up, "master": h.Master}
				switch {
				case !h.Up:
					out = append(out, Finding{
						Severity: Fail,
						Summary:  "host veth " + h.Name + " of pod " + p.FullName() + " is down: the pod is unreachable",
						Evidence: ev,
						Fix:      []string{"ip link set " + h.Name + " up"},
						Object:   &Object{Kind: "pod", Name: p.FullName()},
					})
				case bridged && h.Master == "":
					out = append(out, Finding{
						Severity: Fail,
						Summary:  "host veth " + h.Name + " of pod " + p.FullName() + " is not attached to bridge " + bridge + " like the other pods",
						Evidence: ev,
						Fix:      []string{"ip link set " + h.Name + " master " + bridge},
						Object:   &Object{Kind: "pod", Name: p.FullName()},
					})
				}
			}
			return out
		},
	})
}
