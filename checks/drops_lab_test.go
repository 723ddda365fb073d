package checks_test

import (
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestDoctorDropReasons: with strict rp_filter dropping a pod's packets
// (lab.sh fault rp-filter), doctor's rp-filter finding carries the
// kernel's IP_RPFILTER drops, counted in ip_rcv_finish_core, as evidence.
func TestDoctorDropReasons(t *testing.T) {
	testlab.RequireTool(t, "nsenter", "ping")
	l := testlab.NewLab(t, 1)
	// The fault's packets leave the pod only if it knows the gateway's MAC:
	// an ARP request from the fault's source address would itself fail the
	// node's rp_filter.
	testlab.Run(t, "ip", "netns", "exec", l.Pods[0].NetNSName, "ping", "-c", "1", "-W", "2", l.Gateway)
	l.Fault(t, "rp-filter")
	defer l.Heal(t, "rp-filter")
	var last string
	for try := 0; try < 3; try++ {
		_, r := doctor(t, l.NetdiagArgs(), "--check", "rp-filter")
		for _, f := range of(r.Findings, "rp-filter") {
			got, ok := evidence(f, "dropReasons")
			last = got
			if ok && strings.Contains(got, `"reason":"IP_RPFILTER"`) && strings.Contains(got, `"function":"ip_rcv_finish_core"`) {
				return
			}
		}
	}
	t.Errorf("no IP_RPFILTER drop in the rp-filter evidence; last: %s", last)
}
