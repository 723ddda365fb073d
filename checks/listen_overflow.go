package checks

import (
	"fmt"
	"strconv"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "listen-overflow",
		Title: "pod listeners keep up with their accept queues",
		Needs: []snapshot.Part{snapshot.PartPodNet},
		Run: func(s *snapshot.Snapshot) []Finding {
			var out []Finding
			for _, pn := range s.PodNet {
				name := pn.Pod.FullName()
				obj := &Object{Kind: "pod", Name: name}
				ov, ok1 := snapshot.CounterDelta(pn.Counters, "TcpExtListenOverflows")
				dr, ok2 := snapshot.CounterDelta(pn.Counters, "TcpExtListenDrops")
				somax := pn.Sysctls["net.core.somaxconn"]
				var full []map[string]any
				var capped []string
				for _, l := range pn.Listeners {
					if l.Netid != "tcp" || l.State != "LISTEN" {
						continue
					}
					if l.SendQ > 0 && l.RecvQ >= l.SendQ {
						full = append(full, map[string]any{"listener": l.Local.String(), "acceptQueue": l.RecvQ, "backlog": l.SendQ})
					}
					if n, err := strconv.Atoi(somax); err == nil && n <= 128 && int(l.SendQ) == n {
						capped = append(capped, l.Local.String())
					}
				}
				if (ok1 && ov > 0) || (ok2 && dr > 0) || len(full) > 0 {
					ev := map[string]any{"pod": name, "listenOverflowsDelta": ov, "listenDropsDelta": dr,
						"sampleSeconds": s.Interval.Seconds(), "net.core.somaxconn": somax}
					if len(full) > 0 {
						ev["fullListeners"] = full
					}
					out = append(out, Finding{
						Severity: Warn,
						Summary: fmt.Sprintf("pod %s: the listen queue overflowed (%d overflows, %d drops in %.0f s, %d listener(s) full): clients see SYN timeouts while the app looks idle",
							name, ov, dr, s.Interval.Seconds(), len(full)),
						Evidence: ev,
						Fix: []string{
							"raise net.core.somaxconn for the pod (securityContext.sysctls, an init container, or the tuning CNI plugin)",
							"raise the application's listen backlog (e.g. nginx `listen … backlog=4096`) and make it accept faster",
						},
						Object: obj,
					})
				} else if len(capped) > 0 {
					out = append(out, Finding{
						Severity: Info,
						Summary:  fmt.Sprintf("pod %s: listen backlog of %v is capped by net.core.somaxconn=%s", name, capped, somax),
						Evidence: map[string]any{"pod": name, "listeners": capped, "net.core.somaxconn": somax},
						Fix:      []string{"raise net.core.somaxconn for the pod if it serves bursts of connections"},
						Object:   obj,
					})
				}
			}
			return out
		},
	})
}
