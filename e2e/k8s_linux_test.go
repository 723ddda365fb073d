package e2e

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestRealCluster runs netdiag's read-only commands on both nodes in both
// kube-proxy modes and compares every answer with the API server's.
func TestRealCluster(t *testing.T) {
	l := cluster(t)
	for _, mode := range []string{"iptables", "nftables"} {
		t.Run(mode, func(t *testing.T) {
			if l.ProxyMode != mode {
				l.SetProxyMode(t, mode)
				waitProxySynced(t, l)
			}
			for _, n := range l.Nodes {
				t.Run(n.Name, func(t *testing.T) {
					t.Run("pods", func(t *testing.T) { testPods(t, l, n.Index) })
					t.Run("services", func(t *testing.T) { testServices(t, l, n.Index) })
					t.Run("doctor", func(t *testing.T) { testDoctorHealthy(t, l, n.Index) })
				})
			}
		})
	}
}

// ndPod is one pod of netdiag's `pods -o json`.
type ndPod struct {
	Namespace     string   `json:"namespace"`
	Name          string   `json:"name"`
	UID           string   `json:"uid"`
	IPs           []string `json:"ips"`
	PID           int      `json:"pid"`
	HostNetwork   bool     `json:"hostNetwork"`
	HostInterface *struct {
		Name string `json:"name"`
	} `json:"hostInterface"`
	Containers []struct {
		Name string `json:"name"`
		PIDs []int  `json:"pids"`
	} `json:"containers"`
}

// netdiagPods runs `netdiag pods -o json` on node i.
func netdiagPods(t *testing.T, l *testlab.K8sLab, i int) []ndPod {
	t.Helper()
	stdout, stderr, code := l.Netdiag(t, i, netdiag(t), "pods", "-o", "json")
	if code != 0 {
		t.Fatalf("netdiag pods: exit %d: %s", code, stderr)
	}
	var r struct{ Pods []ndPod }
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("netdiag pods -o json: %v", err)
	}
	return r.Pods
}

// testPods: every pod the API lists for the node, with the same namespace,
// name, UID and IP, host-network pods marked as such; nothing else.
func testPods(t *testing.T, l *testlab.K8sLab, i int) {
	node := l.Node(t, i)
	var api struct{ Items []apiPod }
	l.KubectlJSON(t, &api, "get", "pods", "-A", "--field-selector", "spec.nodeName="+node.Name)
	want := map[string]string{}
	for _, p := range api.Items {
		if p.Status.Phase != "Running" {
			continue
		}
		var ips []string
		for _, x := range p.Status.PodIPs {
			ips = append(ips, x.IP)
		}
		want[p.Metadata.Namespace+"/"+p.Metadata.Name] = describePod(p.Metadata.UID, ips, p.Spec.HostNetwork)
	}
	got := netdiagPods(t, l, i)
	have := map[string]string{}
	for _, p := range got {
		have[p.Namespace+"/"+p.Name] = describePod(p.UID, p.IPs, p.HostNetwork)
	}
	var diffs []string
	for k, w := range want {
		if g, ok := have[k]; !ok {
			diffs = append(diffs, "missing "+k+" ("+w+")")
		} else if g != w {
			diffs = append(diffs, k+": "+g+", the API says "+w)
		}
	}
	for k, g := range have {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "not on this node in the API: "+k+" ("+g+")")
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Errorf("netdiag pods on %s differs from the API:\n  %s", node.Name, strings.Join(diffs, "\n  "))
	}
}

func describePod(uid string, ips []string, hostNetwork bool) string {
	s := "uid=" + uid + " ips=" + strings.Join(sorted(ips), ",")
	if hostNetwork {
		s += " host-network"
	}
	return s
}

// testServices: every frontend the API implies on this node, with the
// endpoints of the EndpointSlices, and the API server's endpoint said to be
// on the host network.
func testServices(t *testing.T, l *testlab.K8sLab, i int) {
	got, err := proxyView(t, l, i)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got.Services {
		if strings.HasPrefix(s.Name, "default/kubernetes:") {
			for _, e := range s.Endpoints {
				if !e.HostNetwork {
					t.Errorf("%s: endpoint %s (the API server on the node's address) not marked host-network", s.Name, e.IP)
				}
			}
		}
	}
	for _, note := range got.Notes {
		t.Logf("note: %s", note)
	}
}

type ndDoctor struct {
	Checks   []string `json:"checks"`
	Findings []struct {
		Check    string         `json:"check"`
		Severity string         `json:"severity"`
		Summary  string         `json:"summary"`
		Evidence map[string]any `json:"evidence"`
		Object   *struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"object"`
	} `json:"findings"`
}

func doctor(t *testing.T, l *testlab.K8sLab, i int, args ...string) (ndDoctor, int) {
	t.Helper()
	stdout, stderr, code := l.Netdiag(t, i, netdiag(t), append([]string{"doctor", "-o", "json"}, args...)...)
	var d ndDoctor
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("netdiag doctor (exit %d): %v\n%s\n%s", code, err, stdout, stderr)
	}
	return d, code
}

// testDoctorHealthy: a healthy node has no warn and no fail, and every
// finding that names the node uses the name the kubelet registered.
func testDoctorHealthy(t *testing.T, l *testlab.K8sLab, i int) {
	d, code := doctor(t, l, i)
	node := l.Node(t, i)
	for _, f := range d.Findings {
		if f.Severity == "warn" || f.Severity == "fail" {
			t.Errorf("healthy %s: %s %s: %s (evidence %v)", node.Name, f.Severity, f.Check, f.Summary, f.Evidence)
		} else {
			t.Logf("%s %s: %s", f.Severity, f.Check, f.Summary)
		}
		if f.Object != nil && f.Object.Kind == "node" && f.Object.Name != node.Name {
			t.Errorf("%s finding names the node %q, the kubelet registered %q", f.Check, f.Object.Name, node.Name)
		}
	}
	if code != 0 {
		t.Errorf("doctor on a healthy node: exit %d, want 0", code)
	}
}
