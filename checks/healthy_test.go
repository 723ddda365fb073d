package checks_test

import (
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestDoctorHealthyLab: a simulated node with cluster DNS and kube-proxy
// rules, nothing injected, gets no warn or fail (no false positives) and
// exit 0.
func TestDoctorHealthyLab(t *testing.T) {
	l := testlab.NewLab(t, 3)
	l.DNSUp(t)
	code, r := doctor(t, l.NetdiagArgs())
	if p := problems(r.Findings); len(p) > 0 || code != 0 {
		t.Errorf("healthy lab: exit %d, findings: %s", code, show(p))
	}
	// The DNS check ran (the lab's pods use cluster DNS), so its silence means something.
	if fs := of(r.Findings, "dns-resolution"); len(fs) > 0 {
		t.Errorf("dns-resolution did not run cleanly on the healthy lab: %s", show(fs))
	}
}

// TestDoctorHealthyRealNode: a real containerd node with CNI bridge pods
// gets no warn or fail.
func TestDoctorHealthyRealNode(t *testing.T) {
	n := testlab.NewRealNode(t, 2)
	code, r := doctor(t, n.NetdiagArgs())
	if p := problems(r.Findings); len(p) > 0 || code != 0 {
		t.Errorf("healthy real node: exit %d, findings: %s", code, show(p))
	}
	t.Logf("info findings: %s", show(r.Findings))
}
