package checks_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/testlab"
)

// counters and timestamps that change without anyone writing: rule and
// chain counters, iptables-save's date lines, bridge timers.
var volatile = regexp.MustCompile(`\[\d+:\d+\]|counter packets \d+ bytes \d+|(?m)^# (Generated|Completed) .*$|\w+_timer +[\d.]+`)

// nodeState is what the read-only test compares: sysctls, rules of both
// iptables backends and nftables, links, and the conntrack entry count of a
// netns.
func nodeState(t *testing.T, netns string) map[string]string {
	t.Helper()
	get := func(name string, args ...string) string {
		out, err := exec.Command("nsenter", append([]string{"--net=" + netns, "--", name}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s in %s: %v\n%s", name, strings.Join(args, " "), netns, err, out)
		}
		return volatile.ReplaceAllString(string(out), "")
	}
	// The netns's own sysctls (net.*; the rest are global and move by
	// themselves), less the conntrack count, compared as a count below.
	values := get("sh", "-c", `sysctl -a -e 2>/dev/null | grep '^net\.' | grep -v '^net.netfilter.nf_conntrack_count '`)
	return map[string]string{
		"sysctls":         values,
		"iptables-nft":    get("iptables-nft-save"),
		"iptables-legacy": get("iptables-legacy-save"),
		"nft":             get("nft", "list", "ruleset"),
		"links":           get("ip", "-d", "link", "show"),
		"addresses":       get("ip", "addr", "show"),
		"routes":          get("ip", "route", "show", "table", "all"),
		"conntrack":       get("conntrack", "-C"),
	}
}

// TestDoctorReadOnly: doctor changes nothing in the node netns or the pods:
// sysctls, iptables (both backends) and nftables rules, links, addresses,
// routes and the conntrack entry count are identical before and after.
// The lab holds kube-proxy rules with a stale endpoint (so doctor dumps
// conntrack), rules in both backends, and 10 % of the conntrack table; it
// has no cluster DNS, the one active probe doctor makes.
func TestDoctorReadOnly(t *testing.T) {
	testlab.RequireTool(t, "iptables-legacy-save", "iptables-nft-save", "nft", "conntrack", "sysctl")
	l := testlab.NewLab(t, 3)
	l.Fault(t, "stale-endpoints")
	l.Fault(t, "iptables-mixed-backends")
	l.Fault(t, "conntrack-table", "10")
	netns := []string{l.NodeNetNS}
	for _, p := range l.Pods {
		netns = append(netns, p.NetNS)
	}
	// IPv6 duplicate address detection on the new links ends by itself
	// within a few seconds: wait for it, so it is not taken for a change.
	for _, ns := range netns {
		for i := 0; strings.Contains(testlab.NSEnter(t, ns, "ip", "addr", "show"), "tentative"); i++ {
			if i == 100 {
				t.Fatalf("addresses in %s still tentative after 10 s", ns)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	before := map[string]map[string]string{}
	for _, ns := range netns {
		before[ns] = nodeState(t, ns)
	}
	code, r := doctor(t, l.NetdiagArgs())
	if code != 3 || len(of(r.Findings, "stale-endpoints")) == 0 {
		t.Errorf("doctor did not look at the rules (exit %d): %s", code, show(r.Findings))
	}
	for _, ns := range netns {
		if diff := cmp.Diff(before[ns], nodeState(t, ns)); diff != "" {
			t.Errorf("doctor changed netns %s (-before +after):\n%s", ns, diff)
		}
	}
}
