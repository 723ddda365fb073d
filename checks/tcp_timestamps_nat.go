package checks

import (
	"fmt"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "tcp-timestamps-nat",
		Title: "TIME-WAIT recycling does not reject NATed clients",
		Needs: []snapshot.Part{snapshot.PartSysctls, snapshot.PartCounters},
		Run: func(s *snapshot.Snapshot) []Finding {
			if v, ok := s.Node.Sysctl("net.ipv4.tcp_tw_recycle"); ok && v == "1" {
				return []Finding{{
					Severity: Fail,
					Summary:  "net.ipv4.tcp_tw_recycle=1: connections from clients behind NAT (NodePorts from other VPCs, probes) are dropped at random",
					Evidence: map[string]any{"net.ipv4.tcp_tw_recycle": v, "net.ipv4.tcp_timestamps": s.Node.Sysctls["net.ipv4.tcp_timestamps"]},
					Fix:      []string{"sysctl -w net.ipv4.tcp_tw_recycle=0"},
					Object:   nodeObject(s),
				}}
			}
			ev := map[string]any{}
			var total int64
			for _, c := range []string{"TcpExtPAWSPassive", "TcpExtPAWSActive", "TcpExtPAWSEstab"} {
				if d, ok := snapshot.CounterDelta(s.Node.Counters, c); ok && d > 0 {
					ev[c+"Delta"] = d
					total += d
				}
			}
			if total == 0 {
				return nil
			}
			ev["net.ipv4.tcp_timestamps"] = s.Node.Sysctls["net.ipv4.tcp_timestamps"]
			return []Finding{{
				Severity: Warn,
				Summary:  fmt.Sprintf("%d segments rejected by PAWS (timestamp checks) in %.0f s: NATed clients with unsynchronised timestamps are being dropped", total, s.Interval.Seconds()),
				Evidence: ev,
				Fix:      []string{"make sure tcp_tw_recycle is 0 on every node and NAT gateway", "check the NAT in front of these clients"},
				Object:   nodeObject(s),
			}}
		},
	})
}
