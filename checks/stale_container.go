package checks

import (
	"fmt"
	"strings"

	"github.com/netdiag/netdiag/snapshot"
)

func init() {
	register(Check{
		ID:    "stale-container",
		Title: "no process outlives its container",
		Needs: []snapshot.Part{snapshot.PartStale},
		Run: func(s *snapshot.Snapshot) []Finding {
			var out []Finding
			for _, g := range s.Stale {
				pod := g.Namespace + "/" + g.Pod
				if g.Pod == "" {
					pod = "pod " + g.PodUID
				}
				reason := g.Reason
				if g.Detail != "" {
					reason += ": " + g.Detail
				}
				listening := []string{}
				for _, l := range g.Listening {
					listening = append(listening, fmt.Sprintf("%s %s:%d", l.Proto, strings.Trim(l.Address, "[]"), l.Port))
				}
				sev := Warn
				summary := fmt.Sprintf("pod %s: stale process(es) %v of container %s (%s)", pod, g.PIDs, short(g.ContainerID), reason)
				if len(listening) > 0 {
					sev = Fail
					summary += fmt.Sprintf(" hold %s: a new container binding it fails with `bind: Address already in use`", strings.Join(listening, ", "))
				}
				pids := make([]string, len(g.PIDs))
				for i, p := range g.PIDs {
					pids[i] = fmt.Sprint(p)
				}
				out = append(out, Finding{
					Severity: sev,
					Summary:  summary,
					Evidence: map[string]any{"pod": pod, "containerId": g.ContainerID, "pids": g.PIDs, "listening": listening, "reason": reason},
					Fix: []string{
						"netdiag stale-container scan --kill   (asks before signalling; checks each PID is still the same process)",
						"or: kill " + strings.Join(pids, " "),
						"then find why the runtime lost the container (PID exhaustion by zombies, runtime crash, OOM)",
					},
					Object: &Object{Kind: "pod", Name: pod},
				})
			}
			return out
		},
	})
}

func short(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}
