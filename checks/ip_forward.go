package checks

import "github.com/netdiag/netdiag/snapshot"

func init() {
	register(Check{
		ID:    "ip-forward",
		Title: "the node forwards IPv4 packets",
		Needs: []snapshot.Part{snapshot.PartSysctls},
		Run: func(s *snapshot.Snapshot) []Finding {
			v, ok := s.Node.Sysctl("net.ipv4.ip_forward")
			if !ok || v != "0" {
				return nil
			}
			return []Finding{{
				Severity: Fail,
				Summary:  "IPv4 forwarding is off: pod traffic to services and other nodes is dropped (repeated SYN, no SYN-ACK)",
				Evidence: map[string]any{"net.ipv4.ip_forward": v},
				Fix: []string{"sysctl -w net.ipv4.ip_forward=1",
					"echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-ip-forward.conf"},
				Object: nodeObject(s),
			}}
		},
	})
}
