package snapshot

import (
	"strings"
	"testing"
)

func TestClusterDomain(t *testing.T) {
	for search, want := range map[string]string{
		"default.svc.cluster.local svc.cluster.local cluster.local c.proj.internal": "cluster.local",
		"kube-system.svc.k8s.example.":                                              "k8s.example",
		"example.com corp.example.com":                                              "",
		"":                                                                          "",
	} {
		if got := clusterDomain(strings.Fields(search)); got != want {
			t.Errorf("%q: %q, want %q", search, got, want)
		}
	}
}
