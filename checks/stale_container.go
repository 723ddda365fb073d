package checks

import (
	"fmt"
	"strings"
)

func init() {
	register(Check{
		ID:    "stale-container",
		Title: "no process outlives its container",
		Needs: []Part{PartStale},
		Run: func(s *Snapshot) []Finding {
			var out []Finding
			for _, st := range s.Stale {
				sev := Warn
				summary := fmt.Sprintf("pod %s: stale process(es) %v of container %s (%s)", st.Pod, st.PIDs, short(st.ContainerID), st.Reason)
				if len(st.Listening) > 0 {
					sev = Fail
					summary += fmt.Sprintf(" hold %s: a new container binding it fails with `bind: Address already in use`", strings.Join(st.Listening, ", "))
				}
				pids := make([]string, len(st.PIDs))
				for i, p := range st.PIDs {
					pids[i] = fmt.Sprint(p)
				}
				out = append(out, Finding{
					Severity: sev,
					Summary:  summary,
					Evidence: map[string]any{"pod": st.Pod, "containerId": st.ContainerID, "pids": st.PIDs, "listening": st.Listening, "reason": st.Reason},
					Fix: []string{
						"netdiag stale-container scan --kill   (asks before signalling; checks each PID is still the same process)",
						"or: kill " + strings.Join(pids, " "),
						"then find why the runtime lost the container (PID exhaustion by zombies, runtime crash, OOM)",
					},
					Object: &Object{Kind: "pod", Name: st.Pod},
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
