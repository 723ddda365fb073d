package cli

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

func TestDoctorUsage(t *testing.T) {
	for _, args := range [][]string{
		{"doctor", "extra"},
		{"doctor", "--check", "no-such-check"},
		{"doctor", "--sample", "0s"},
	} {
		if code, _, stderr := run(t, "", args...); code != ExitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, stderr, ExitUsage)
		}
	}
}
