package checks

import (
	"testing"

	"github.com/netdiag/netdiag/snapshot"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/dropmon"
)

// TestDropEvidence: sampled drops of the reasons that bear on a check are
// in its findings' evidence; other reasons, or other checks, get none.
func TestDropEvidence(t *testing.T) {
	s := healthy()
	s.Node.Counters[1] = grow(s.Node.Counters[1], "TcpExtIPReversePathFilter", 9)
	s.Drops = []dropmon.Count{
		{Reason: "NO_SOCKET", Function: "tcp_v4_rcv", Protocol: "ipv4", Count: 40},
		{Reason: "IP_RPFILTER", Function: "ip_rcv_finish_core", Protocol: "ipv4", Count: 9},
	}
	var rp *Finding
	for _, f := range Run(s, All()) {
		if f.Check == "rp-filter" {
			rp = &f
			continue
		}
		if _, ok := f.Evidence["dropReasons"]; ok {
			t.Errorf("%s has drop evidence: %v", f.Check, f.Evidence["dropReasons"])
		}
	}
	if rp == nil {
		t.Fatal("no rp-filter finding")
	}
	want := []map[string]any{{"reason": "IP_RPFILTER", "function": "ip_rcv_finish_core", "count": uint64(9)}}
	if diff := cmp.Diff(want, rp.Evidence["dropReasons"]); diff != "" {
		t.Errorf("rp-filter drop evidence (-want +got):\n%s", diff)
	}
	if rp.Evidence["dropReasonsScope"] == nil {
		t.Error("the evidence does not say the counts are kernel-wide")
	}

	// Without drops of its reason the finding is as before.
	s.Drops = s.Drops[:1]
	for _, f := range Run(s, All()) {
		if _, ok := f.Evidence["dropReasons"]; ok {
			t.Errorf("%s has drop evidence without a drop of its reason", f.Check)
		}
	}
}

// TestDropEvidenceNetfilterFix: a NETFILTER_DROP behind a firewall finding
// points at trace to name the rule.
func TestDropEvidenceNetfilterFix(t *testing.T) {
	f := Finding{Check: "overlay-blocked", Evidence: map[string]any{}, Fix: []string{"allow UDP 8472"}}
	addDropEvidence(&snapshot.Snapshot{Drops: []dropmon.Count{{Reason: "NETFILTER_DROP", Function: "nft_do_chain", Count: 3}}}, &f)
	if len(f.Fix) != 2 || f.Evidence["dropReasons"] == nil {
		t.Errorf("finding %+v", f)
	}
}
