package checks_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/checks"
	"github.com/netdiag/netdiag/internal/testlab"
)

// want is what doctor must report for one injected fault: a warn or fail
// finding of check whose evidence holds every value of has (matched against
// the value's JSON, quotes trimmed: "cbr0", "8472", a substring of a list)
// and whose numbers in atLeast reach those values.
type want struct {
	check    string
	severity []string // allowed; nil means warn or fail
	has      map[string]string
	atLeast  map[string]float64
}

func (w want) match(f checks.Finding) string {
	if f.Check != w.check {
		return "other check"
	}
	sev := w.severity
	if sev == nil {
		sev = []string{checks.Warn, checks.Fail}
	}
	ok := false
	for _, s := range sev {
		ok = ok || f.Severity == s
	}
	if !ok {
		return "severity " + f.Severity + ", want " + strings.Join(sev, " or ")
	}
	for k, v := range w.has {
		got, found := evidence(f, k)
		if !found {
			return "no evidence " + k
		}
		if !strings.Contains(got, v) {
			return "evidence " + k + "=" + got + ", want " + v
		}
	}
	for k, v := range w.atLeast {
		got, found := evidenceNumber(f, k)
		if !found || got < v {
			return "evidence " + k + "=" + strconv.FormatFloat(got, 'f', -1, 64) + ", want at least " + strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

// TestDoctorFaults injects every failure mode of FAILURE-MODES.md into one
// simulated node (scripts/lab.sh fault), runs `netdiag doctor` and expects
// the check to report it with evidence naming what was injected; after the
// heal, doctor must report no warn or fail at all.
func TestDoctorFaults(t *testing.T) {
	testlab.RequireTool(t, "iptables-legacy-restore", "iptables-nft-restore", "conntrack", "nsenter", "ss", "jq")
	l := testlab.NewLab(t, 4)
	l.DNSUp(t) // DNS servers on pods 1 and 2, the kube-dns service in the node netns
	g := l.NetdiagArgs()

	// A lab that starts unhealthy would make every heal check below meaningless.
	if _, r := doctor(t, g); len(problems(r.Findings)) > 0 {
		t.Fatalf("the lab is not healthy before any fault: %s", show(problems(r.Findings)))
	}

	max, err := os.ReadFile("/proc/sys/net/netfilter/nf_conntrack_max")
	if err != nil {
		t.Fatal(err)
	}
	p3 := l.Pods[3]
	tests := []struct {
		fault string
		args  []string
		want  want
		// tries: doctor runs allowed for faults whose evidence is a
		// counter growing during the sample (a race, background traffic).
		tries int
	}{
		{fault: "ip-forward", want: want{check: "ip-forward", severity: []string{checks.Fail},
			has: map[string]string{"net.ipv4.ip_forward": "0"}}},
		{fault: "bridge-nf-call-iptables", want: want{check: "bridge-nf-call-iptables", severity: []string{checks.Fail},
			has: map[string]string{"net.bridge.bridge-nf-call-iptables": "0", "bridges": l.Bridge}}},
		{fault: "bridge-down", want: want{check: "bridge-down", severity: []string{checks.Fail},
			has: map[string]string{"bridge": l.Bridge, "ports": p3.HostVeth}}},
		{fault: "veth-down", args: []string{"3"}, want: want{check: "veth-down", severity: []string{checks.Fail},
			has: map[string]string{"hostVeth": p3.HostVeth, "pod": p3.Namespace + "/" + p3.Name, "up": "false"}}},
		{fault: "mtu-mismatch", want: want{check: "mtu-mismatch", severity: []string{checks.Fail},
			has: map[string]string{"overlay": "flannel.1", "overlayKind": "vxlan", "uplink": "uplink", "pathMtu": "1450", "podMtu": "1500"}}},
		{fault: "mtu-veth", args: []string{"3"}, want: want{check: "mtu-mismatch", severity: []string{checks.Warn},
			has: map[string]string{"hostVeth": p3.HostVeth, "podMtu": "1400", "hostVethMtu": "1500"}}},
		{fault: "conntrack-table", want: want{check: "conntrack-table", severity: []string{checks.Fail},
			has: map[string]string{"max": strings.TrimSpace(string(max))}, atLeast: map[string]float64{"percent": 90}}},
		{fault: "conntrack-insert-failed", tries: 3, want: want{check: "conntrack-insert-failed",
			atLeast: map[string]float64{"insertFailedDelta": 1}}},
		{fault: "listen-overflow", args: []string{"3"}, want: want{check: "listen-overflow", severity: []string{checks.Warn},
			has: map[string]string{"pod": p3.Namespace + "/" + p3.Name, "fullListeners": p3.IP + ":8080", "net.core.somaxconn": "4"}}},
		{fault: "stale-container", args: []string{"3"}, want: want{check: "stale-container", severity: []string{checks.Fail},
			has: map[string]string{"pod": p3.Name, "listening": "8081"}}},
		{fault: "pod-cidr-overlap", want: want{check: "pod-cidr-overlap", severity: []string{checks.Fail},
			has: map[string]string{"interface": "uplink", "nodeNetwork": "198.18.0.0/16"}}},
		{fault: "overlay-blocked", want: want{check: "overlay-blocked", severity: []string{checks.Fail},
			has: map[string]string{"device": "flannel.1", "udpPort": "8472", "rule": "8472"}}},
		{fault: "rp-filter", tries: 3, want: want{check: "rp-filter", severity: []string{checks.Warn},
			has:     map[string]string{"interfaces": l.Bridge, "net.ipv4.conf.all.rp_filter": "1"},
			atLeast: map[string]float64{"IPReversePathFilterDelta": 1}}},
		{fault: "stale-endpoints", want: want{check: "stale-endpoints", severity: []string{checks.Warn},
			has: map[string]string{"endpoint": testlab.LabStaleEndpoint + ":8080", "service": "default/gone:http"}}},
		{fault: "no-local-endpoints", want: want{check: "no-local-endpoints", severity: []string{checks.Warn},
			has: map[string]string{"service": "shop/nolocal"}, atLeast: map[string]float64{"droppedPackets": 1}}},
		{fault: "iptables-mixed-backends", want: want{check: "iptables-mixed-backends", severity: []string{checks.Warn},
			atLeast: map[string]float64{"legacyKubeRules": 1, "nftKubeRules": 1}}},
		{fault: "dns-down", want: want{check: "dns-resolution", severity: []string{checks.Fail},
			has: map[string]string{"server": testlab.LabDNSVIP}}},
		{fault: "dns-slow", want: want{check: "dns-resolution", severity: []string{checks.Warn},
			has: map[string]string{"server": testlab.LabDNSVIP}, atLeast: map[string]float64{"seconds": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			if tt.fault == "conntrack-table" {
				testlab.LockConntrack(t)
			}
			l.Fault(t, tt.fault, tt.args...)
			var r report
			found := false
			for try := 0; try < max1(tt.tries) && !found; try++ {
				_, r = doctor(t, g)
				for _, f := range r.Findings {
					if tt.want.match(f) == "" {
						found = true
						t.Logf("%s %s: %s", f.Severity, f.Check, f.Summary)
					}
				}
			}
			if !found {
				var why []string
				for _, f := range of(r.Findings, tt.want.check) {
					why = append(why, tt.want.match(f))
				}
				t.Errorf("fault %s: doctor did not report %s as wanted (%s); its %s findings: %s",
					tt.fault, tt.want.check, strings.Join(why, "; "), tt.want.check, show(of(r.Findings, tt.want.check)))
			}
			l.Heal(t, tt.fault)
			if _, r := doctor(t, g); len(problems(r.Findings)) > 0 {
				t.Errorf("after heal %s doctor still reports: %s", tt.fault, show(problems(r.Findings)))
			}
		})
	}
}

func max1(n int) int { return max(n, 1) }
