package checks

import (
	"sort"

	"github.com/netdiag/netdiag/snapshot"
)

// podBridges returns the bridges pod veths are attached to, with their ports.
func podBridges(s *snapshot.Snapshot) map[string][]string {
	out := map[string][]string{}
	for _, p := range s.Pods {
		if h := p.HostInterface; h != nil && h.Master != "" {
			out[h.Master] = append(out[h.Master], h.Name)
		}
	}
	for _, ports := range out {
		sort.Strings(ports)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
