package checks

import (
	"fmt"
	"time"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "dns-resolution",
		Title: "pods resolve names quickly",
		Needs: []snapshot.Part{snapshot.PartDNS},
		Run: func(s *snapshot.Snapshot) []Finding {
			var out []Finding
			for _, r := range s.DNS {
				ev := map[string]any{"pod": r.Pod, "server": r.Server, "name": r.Name, "seconds": r.RTT.Seconds(), "queries": r.Queries}
				obj := &Object{Kind: "pod", Name: r.Pod}
				switch {
				case r.Err != "":
					ev["error"] = r.Err
					out = append(out, Finding{Severity: Fail,
						Summary:  fmt.Sprintf("pod %s cannot resolve %s through %s: %s", r.Pod, r.Name, r.Server, r.Err),
						Evidence: ev,
						Fix: []string{"check the DNS service's endpoints: netdiag services " + r.Server,
							"check CoreDNS/kube-dns pods and NodeLocal DNSCache", "netdiag dns --pod " + r.Pod + " " + r.Name + " @" + r.Server},
						Object: obj})
				case r.RTT > time.Second:
					out = append(out, Finding{Severity: Warn,
						Summary:  fmt.Sprintf("pod %s: resolving %s took %.1f s", r.Pod, r.Name, r.RTT.Seconds()),
						Evidence: ev,
						Fix:      []string{"check the DNS server's load and the conntrack-insert-failed finding", "deploy NodeLocal DNSCache"},
						Object:   obj})
				case r.Queries > 4:
					out = append(out, Finding{Severity: Warn,
						Summary:  fmt.Sprintf("pod %s: one lookup of %s became %d queries through the search list (ndots)", r.Pod, r.Name, r.Queries),
						Evidence: ev,
						Fix:      []string{"set dnsConfig options ndots:2 for the pod, or use fully qualified names with a trailing dot"},
						Object:   obj})
				}
			}
			return out
		},
	})
}
