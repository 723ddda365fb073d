package checks

import "github.com/netdiag/netdiag/snapshot"

func init() {
	register(Check{
		ID:    "bridge-nf-call-iptables",
		Title: "bridged pod traffic goes through iptables",
		Needs: []snapshot.Part{snapshot.PartPods, snapshot.PartSysctls},
		Run: func(s *snapshot.Snapshot) []Finding {
			bridges := podBridges(s)
			if len(bridges) == 0 {
				return nil
			}
			names := sortedKeys(bridges)
			v, ok := s.Node.Sysctl("net.bridge.bridge-nf-call-iptables")
			ev := map[string]any{"bridges": names}
			switch {
			case !ok:
				ev["br_netfilter"] = "not loaded (no net.bridge sysctls)"
			case v == "0":
				ev["net.bridge.bridge-nf-call-iptables"] = v
			default:
				return nil
			}
			return []Finding{{
				Severity: Fail,
				Summary:  "pod veths are on bridge " + names[0] + " but bridged traffic bypasses iptables: service NAT between pods on this node fails",
				Evidence: ev,
				Fix: []string{"modprobe br_netfilter",
					"sysctl -w net.bridge.bridge-nf-call-iptables=1",
					"echo br_netfilter > /etc/modules-load.d/br_netfilter.conf"},
				Object: nodeObject(s),
			}}
		},
	})
}
