package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
)

// fault is one failure mode of FAILURE-MODES.md made real on the cluster.
type fault struct {
	name   string
	node   int
	modes  []string // kube-proxy modes it is tried in; nil: both
	inject func(t *testing.T, l *testlab.K8sLab) (heal func())
	check  string
	sev    string            // "warn" or "fail"
	has    map[string]string // evidence key → substring of its JSON
}

// TestRealClusterFaults injects each fault that can exist on the real nodes,
// expects doctor to name it by its check ID with the right evidence, heals
// it, and expects the node healthy again.
func TestRealClusterFaults(t *testing.T) {
	l := cluster(t)
	for _, mode := range []string{"iptables", "nftables"} {
		t.Run(mode, func(t *testing.T) {
			if l.ProxyMode != mode {
				l.SetProxyMode(t, mode)
				waitProxySynced(t, l)
			}
			// The web pod on node 1 now: a fault may have replaced it.
			web1 := podOn(t, l, "app=web", 1)
			for _, f := range faults(t, l, web1) {
				if f.modes != nil && !contains(f.modes, mode) {
					continue
				}
				t.Run(f.name, func(t *testing.T) {
					heal := f.inject(t, l)
					healed := false
					defer func() {
						if !healed {
							heal()
						}
					}()
					// Some faults take effect a moment later (a deleted pod's
					// network goes after its API object).
					var (
						seen  []string
						found bool
						code  int
					)
					for deadline := time.Now().Add(30 * time.Second); !found && time.Now().Before(deadline); {
						found, seen, code = reported(t, l, f)
					}
					if !found {
						t.Errorf("doctor did not report %s %s with evidence %v; its %s findings: %v", f.sev, f.check, f.has, f.check, seen)
					}
					if code != 3 {
						t.Errorf("doctor exit %d with a %s finding, want 3", code, f.sev)
					}
					heal()
					healed = true
					waitHealthy(t, l, f.node)
				})
			}
		})
	}
}

// reported runs doctor on the fault's node and says whether it reported
// the fault as wanted, with what it reported under that check.
func reported(t *testing.T, l *testlab.K8sLab, f fault) (found bool, seen []string, code int) {
	t.Helper()
	d, code := doctor(t, l, f.node)
	for _, x := range d.Findings {
		if x.Check != f.check {
			continue
		}
		ev, _ := json.Marshal(x.Evidence)
		seen = append(seen, fmt.Sprintf("%s %s %s", x.Severity, x.Summary, ev))
		if x.Severity == f.sev && evidenceHas(x.Evidence, f.has) {
			found = true
			t.Logf("%s %s: %s", x.Severity, x.Check, x.Summary)
			if x.Object != nil && x.Object.Kind == "node" && x.Object.Name != l.Node(t, f.node).Name {
				t.Errorf("the finding names node %q, the kubelet registered %q", x.Object.Name, l.Node(t, f.node).Name)
			}
		}
	}
	return found, seen, code
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func evidenceHas(ev map[string]any, has map[string]string) bool {
	for k, v := range has {
		b, err := json.Marshal(ev[k])
		if err != nil || ev[k] == nil || !strings.Contains(strings.Trim(string(b), `"`), v) {
			return false
		}
	}
	return true
}

// waitHealthy waits until doctor on node i reports no warn or fail again
// (pods that a fault made unready need their probes to pass again).
func waitHealthy(t *testing.T, l *testlab.K8sLab, i int) {
	t.Helper()
	waitProxySynced(t, l)
	var last []string
	testlab.WaitFor(t, "a healthy node after the heal", 90*time.Second, func() bool {
		d, _ := doctor(t, l, i)
		last = last[:0]
		for _, f := range d.Findings {
			if f.Severity == "warn" || f.Severity == "fail" {
				last = append(last, f.Check+": "+f.Summary)
			}
		}
		if len(last) > 0 {
			t.Logf("not healthy yet: %v", last)
		}
		return len(last) == 0
	})
}

type labPod struct {
	Name, UID, IP, NodeName, ContainerID string
}

// podOn returns the running pod with the label on node i.
func podOn(t *testing.T, l *testlab.K8sLab, selector string, i int) labPod {
	t.Helper()
	var pods struct {
		Items []struct {
			apiPod
			Status struct {
				Phase             string `json:"phase"`
				PodIP             string `json:"podIP"`
				ContainerStatuses []struct {
					ContainerID string `json:"containerID"`
				} `json:"containerStatuses"`
			} `json:"status"`
		}
	}
	node := l.Node(t, i).Name
	l.KubectlJSON(t, &pods, "-n", ns, "get", "pods", "-l", selector, "--field-selector", "spec.nodeName="+node)
	for _, p := range pods.Items {
		if p.Status.Phase == "Running" && p.Metadata.DeletionTimestamp == "" {
			cid := ""
			if len(p.Status.ContainerStatuses) > 0 {
				cid = strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "containerd://")
			}
			return labPod{Name: p.Metadata.Name, UID: p.Metadata.UID, IP: p.Status.PodIP, NodeName: node, ContainerID: cid}
		}
	}
	t.Fatalf("no running pod %s on %s", selector, node)
	return labPod{}
}

// hostVeth is the pod's host-side interface as netdiag maps it.
func hostVeth(t *testing.T, l *testlab.K8sLab, i int, pod string) string {
	t.Helper()
	for _, p := range netdiagPods(t, l, i) {
		if p.Namespace == ns && p.Name == pod && p.HostInterface != nil {
			return p.HostInterface.Name
		}
	}
	t.Fatalf("netdiag pods does not map %s/%s to a host veth", ns, pod)
	return ""
}

// podPID is a process of the pod's sandbox: the pause container's.
func podPID(t *testing.T, l *testlab.K8sLab, i int, pod labPod) int {
	t.Helper()
	for _, p := range netdiagPods(t, l, i) {
		if p.UID == pod.UID && p.PID > 0 {
			return p.PID
		}
	}
	t.Fatalf("no process of pod %s", pod.Name)
	return 0
}

// sysctl sets a sysctl on node i (its netns) and returns a func restoring it.
func sysctl(t *testing.T, l *testlab.K8sLab, i int, key, value string) func() {
	t.Helper()
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	old := strings.TrimSpace(l.Exec(t, i, "cat", path))
	l.Exec(t, i, "sysctl", "-qw", key+"="+value)
	return func() { l.Exec(t, i, "sysctl", "-qw", key+"="+old) }
}

// background starts a command (nsenter already in its argv) and returns a
// func that ends it, by its PID.
func background(t *testing.T, name string, args ...string) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := exec.CommandContext(ctx, name, args...)
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	return func() {
		cancel()
		_ = cmd.Wait()
	}
}

func faults(t *testing.T, l *testlab.K8sLab, web1 labPod) []fault {
	ndlab := testlab.NDLab(t)
	return []fault{
		{name: "ip-forward", node: 1, check: "ip-forward", sev: "fail",
			has: map[string]string{"net.ipv4.ip_forward": "0"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				return sysctl(t, l, 1, "net.ipv4.ip_forward", "0")
			}},
		{name: "bridge-nf-call-iptables", node: 1, check: "bridge-nf-call-iptables", sev: "fail",
			has: map[string]string{"net.bridge.bridge-nf-call-iptables": "0", "bridges": "cni0"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				return sysctl(t, l, 1, "net.bridge.bridge-nf-call-iptables", "0")
			}},
		{name: "bridge-down", node: 1, check: "bridge-down", sev: "fail",
			has: map[string]string{"bridge": "cni0"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				l.Exec(t, 1, "ip", "link", "set", "cni0", "down")
				return func() { l.Exec(t, 1, "ip", "link", "set", "cni0", "up") }
			}},
		{name: "veth-down", node: 1, check: "veth-down", sev: "fail",
			has: map[string]string{"pod": ns + "/" + web1.Name, "up": "false"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				veth := hostVeth(t, l, 1, web1.Name)
				l.Exec(t, 1, "ip", "link", "set", veth, "down")
				return func() { l.Exec(t, 1, "ip", "link", "set", veth, "up") }
			}},
		{name: "mtu-mismatch", node: 1, check: "mtu-mismatch", sev: "warn",
			has: map[string]string{"pod": ns + "/" + web1.Name, "podMtu": "1400", "hostVethMtu": "1500"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				pid := strconv.Itoa(podPID(t, l, 1, web1))
				testlab.Run(t, "nsenter", "-t", pid, "-n", "ip", "link", "set", "eth0", "mtu", "1400")
				return func() { testlab.Run(t, "nsenter", "-t", pid, "-n", "ip", "link", "set", "eth0", "mtu", "1500") }
			}},
		{name: "listen-overflow", node: 1, check: "listen-overflow", sev: "warn",
			has: map[string]string{"pod": ns + "/" + web1.Name, "net.core.somaxconn": "4"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				pid := strconv.Itoa(podPID(t, l, 1, web1))
				old := strings.TrimSpace(testlab.Run(t, "nsenter", "-t", pid, "-n", "cat", "/proc/sys/net/core/somaxconn"))
				testlab.Run(t, "nsenter", "-t", pid, "-n", "sysctl", "-qw", "net.core.somaxconn=4")
				stop := background(t, "nsenter", "-t", pid, "-n", ndlab, "listen", "--addr", web1.IP+":8081", "--backlog", "128")
				testlab.WaitFor(t, "the listener", 10*time.Second, func() bool {
					return strings.Contains(testlab.Run(t, "nsenter", "-t", pid, "-n", "ss", "-Hltn", "sport = :8081"), "8081")
				})
				// From the node: more connections than the queue holds.
				out, _ := l.Command(t, context.Background(), 1, ndlab, "connect", "--count", "12", "--timeout", "1s", web1.IP+":8081").CombinedOutput()
				t.Logf("connect: %s", out)
				return func() {
					stop()
					testlab.Run(t, "nsenter", "-t", pid, "-n", "sysctl", "-qw", "net.core.somaxconn="+old)
				}
			}},
		{name: "pod-cidr-overlap", node: 1, check: "pod-cidr-overlap", sev: "fail",
			has: map[string]string{"interface": "ndovl", "nodeNetwork": "198.19.0.0/16"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				l.Exec(t, 1, "ip", "link", "add", "ndovl", "type", "veth", "peer", "name", "ndovl-p")
				l.Exec(t, 1, "ip", "addr", "add", "198.19.64.1/16", "dev", "ndovl")
				l.Exec(t, 1, "ip", "link", "set", "ndovl-p", "up")
				l.Exec(t, 1, "ip", "link", "set", "ndovl", "up")
				return func() { l.Exec(t, 1, "ip", "link", "del", "ndovl") }
			}},
		{name: "iptables-mixed-backends", node: 1, modes: []string{"iptables"}, check: "iptables-mixed-backends", sev: "warn",
			has: map[string]string{},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				l.Exec(t, 1, "iptables-legacy", "-t", "nat", "-N", "KUBE-SERVICES")
				l.Exec(t, 1, "iptables-legacy", "-t", "nat", "-A", "KUBE-SERVICES", "-d", "198.19.128.99/32", "-j", "RETURN")
				return func() {
					l.Exec(t, 1, "iptables-legacy", "-t", "nat", "-F", "KUBE-SERVICES")
					l.Exec(t, 1, "iptables-legacy", "-t", "nat", "-X", "KUBE-SERVICES")
				}
			}},
		{name: "stale-endpoints", node: 1, check: "stale-endpoints", sev: "warn",
			has: map[string]string{"service": ns + "/web", "endpoint": web1.IP + ":8080"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				// kube-proxy stopped, a pod deleted: its rules still send to it.
				l.ProxyCtl(t, "stop", 1)
				l.Kubectl(t, "-n", ns, "delete", "pod", web1.Name, "--wait=true", "--timeout=60s")
				return func() {
					l.ProxyCtl(t, "start", 1)
					l.Kubectl(t, "-n", ns, "rollout", "status", "deploy/web", "--timeout=120s")
				}
			}},
		{name: "no-local-endpoints", node: 2, modes: []string{"iptables"}, check: "no-local-endpoints", sev: "warn",
			has: map[string]string{"service": ns + "/local-etp"},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				// From node 1's own address: outside the cluster CIDR, so the
				// external path, which drops on node 2 (no local endpoint).
				out, _ := l.Command(t, context.Background(), 1, ndlab, "connect", "--count", "3", "--timeout", "300ms",
					l.Node(t, 2).IP+":30082").CombinedOutput()
				t.Logf("connect: %s", out)
				// The drop rule's counters stay; kube-proxy's start-up sync
				// writes the rules anew.
				return func() {
					l.ProxyCtl(t, "stop", 2)
					l.ProxyCtl(t, "start", 2)
				}
			}},
		// The table is the kernel's, whatever the proxy mode: once is enough.
		{name: "conntrack-table", node: 1, modes: []string{"iptables"}, check: "conntrack-table", sev: "fail",
			has: map[string]string{},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				testlab.LockConntrack(t)
				return fillConntrack(t, l, 1, 95)
			}},
		{name: "dns-resolution", node: 2, check: "dns-resolution", sev: "fail",
			has: map[string]string{"server": l.DNSIP},
			inject: func(t *testing.T, l *testlab.K8sLab) func() {
				l.Kubectl(t, "-n", "kube-system", "scale", "deploy/coredns", "--replicas=0")
				l.Kubectl(t, "-n", "kube-system", "wait", "--for=delete", "pod", "-l", "k8s-app=kube-dns", "--timeout=60s")
				waitProxySynced(t, l)
				return func() {
					l.Kubectl(t, "-n", "kube-system", "scale", "deploy/coredns", "--replicas="+strconv.Itoa(len(l.Nodes)))
					l.Kubectl(t, "-n", "kube-system", "rollout", "status", "deploy/coredns", "--timeout=120s")
				}
			}},
	}
}

// fillConntrack adds ASSURED UDP entries (no traffic) to node i's conntrack
// table until it is pct % full, and returns a func deleting them.
func fillConntrack(t *testing.T, l *testlab.K8sLab, i, pct int) func() {
	t.Helper()
	read := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(l.Exec(t, i, "cat", "/proc/sys/net/netfilter/"+name)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	max, count := read("nf_conntrack_max"), read("nf_conntrack_count")
	want := (max*pct+99)/100 - count
	var b strings.Builder
	for n := 0; n < want; n++ {
		fmt.Fprintf(&b, "-I -s 198.19.%d.%d -d 198.18.0.1 -p udp --sport %d --dport 9 -t 600 -u ASSURED\n",
			64+(n/256)%64, n%256, 1024+n/16384)
	}
	file := filepath.Join(t.TempDir(), "conntrack.load")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	heal := func() {
		_, _ = l.Command(t, context.Background(), i, "conntrack", "-D", "-p", "udp", "--orig-dst", "198.18.0.1", "--orig-port-dst", "9").CombinedOutput()
	}
	if out, err := l.Command(t, context.Background(), i, "conntrack", "-R", file).CombinedOutput(); err != nil {
		heal()
		t.Fatalf("conntrack -R: %v\n%.500s", err, out)
	}
	t.Logf("conntrack: %d of %d entries", read("nf_conntrack_count"), max)
	return heal
}
