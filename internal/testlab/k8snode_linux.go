package testlab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// K8sLab is a real Kubernetes v1.34.4 cluster made by scripts/k8snode.sh: one
// or two nodes, each a netns and a mount namespace of its own with
// containerd, the kubelet and kube-proxy; the control plane runs on node 1.
type K8sLab struct {
	Dir         string    `json:"dir"`
	Bin         string    `json:"bin"`
	ProxyMode   string    `json:"proxyMode"`
	Kubeconfig  string    `json:"kubeconfig"`
	ServiceCIDR string    `json:"serviceCIDR"`
	DNSIP       string    `json:"dnsIP"`
	Image       string    `json:"image"` // busybox and CoreDNS; also the sandbox image
	Nodes       []K8sNode `json:"nodes"`

	script string
}

// K8sNode is one node of a K8sLab.
type K8sNode struct {
	Index       int    `json:"index"`
	Name        string `json:"name"` // as the kubelet registered it
	NetNSName   string `json:"netnsName"`
	NetNS       string `json:"netns"` // /proc/HOLDER/ns/net
	HolderPID   int    `json:"holderPid"`
	IP          string `json:"ip"`
	PodCIDR     string `json:"podCIDR"`
	CRIEndpoint string `json:"criEndpoint"` // inside the node's mount namespace
}

// K8sLabBuilt reports whether scripts/k8snode.sh build has made the binaries.
func K8sLabBuilt(tb testing.TB) bool {
	tb.Helper()
	return exec.Command(filepath.Join(ScriptsDir(tb), "k8snode.sh"), "built").Run() == nil
}

// StartK8sLab brings a cluster up in dir. The caller must call Down, also
// when StartK8sLab fails (a partial up is removed by the script itself, and
// Down is harmless then).
func StartK8sLab(tb testing.TB, dir string, nodes int, proxyMode string) (*K8sLab, error) {
	tb.Helper()
	RequireRoot(tb)
	RequireTool(tb, "ip", "nsenter", "unshare", "setsid", "containerd", "containerd-shim-runc-v2", "ctr", "runc",
		"busybox", "jq", "openssl", "iptables", "nft", "conntrack", "curl")
	if !K8sLabBuilt(tb) {
		skip(tb, "the real Kubernetes lab is not built: run scripts/k8snode.sh build (~25 min cold; .ci/run does it)")
	}
	l := &K8sLab{script: filepath.Join(ScriptsDir(tb), "k8snode.sh"), Dir: dir}
	// Its own name, so that a lab brought up by hand runs beside it.
	if _, err := l.run(6*time.Minute, nil, "up", "--name", "ndk8st", "--nodes", strconv.Itoa(nodes), "--proxy-mode", proxyMode); err != nil {
		return l, err
	}
	return l, l.reload()
}

func (l *K8sLab) reload() error {
	out, err := l.run(time.Minute, nil, "status")
	if err != nil {
		return err
	}
	return json.Unmarshal(out, l)
}

// run runs k8snode.sh with the lab's directory and returns its stdout.
func (l *K8sLab) run(limit time.Duration, stdin []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.script, append([]string{"--dir", l.Dir}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("k8snode.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// Down removes the cluster.
func (l *K8sLab) Down() error {
	_, err := l.run(3*time.Minute, nil, "down")
	return err
}

// Kubectl runs kubectl as cluster admin and fails the test when it fails.
func (l *K8sLab) Kubectl(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := l.run(2*time.Minute, nil, append([]string{"kubectl", "--"}, args...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

// Apply creates or updates the objects of a YAML manifest.
func (l *K8sLab) Apply(tb testing.TB, manifest string) {
	tb.Helper()
	if _, err := l.run(2*time.Minute, []byte(manifest), "kubectl", "--", "apply", "-f", "-"); err != nil {
		tb.Fatal(err)
	}
}

// KubectlJSON runs kubectl ... -o json and decodes the answer into v.
func (l *K8sLab) KubectlJSON(tb testing.TB, v any, args ...string) {
	tb.Helper()
	out := l.Kubectl(tb, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		tb.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
}

// Node returns node i (1-based).
func (l *K8sLab) Node(tb testing.TB, i int) K8sNode {
	tb.Helper()
	if i < 1 || i > len(l.Nodes) {
		tb.Fatalf("the lab has %d nodes, not %d", len(l.Nodes), i)
	}
	return l.Nodes[i-1]
}

// Command is a command on node i: in its netns and mount namespace, as if
// run on the node itself.
func (l *K8sLab) Command(tb testing.TB, ctx context.Context, i int, name string, args ...string) *exec.Cmd {
	tb.Helper()
	n := l.Node(tb, i)
	return exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(n.HolderPID), "-m", "-n", "--", name}, args...)...)
}

// Exec runs a command on node i and fails the test when it fails.
func (l *K8sLab) Exec(tb testing.TB, i int, name string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := l.Command(tb, ctx, i, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("on node %d: %s %s: %v\n%s%s", i, name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

// Netdiag runs a netdiag binary on node i the way the README tells an
// operator to, and returns stdout, stderr and the exit code.
func (l *K8sLab) Netdiag(tb testing.TB, i int, bin string, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := l.Node(tb, i)
	var o, e bytes.Buffer
	cmd := l.Command(tb, ctx, i, bin, append([]string{"--node-netns", n.NetNS}, args...)...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		tb.Fatalf("run netdiag on node %d: %v", i, err)
	}
	return o.String(), e.String(), code
}

// SetProxyMode restarts every kube-proxy in mode (iptables or nftables) and
// waits until its rules are in place.
func (l *K8sLab) SetProxyMode(tb testing.TB, mode string) {
	tb.Helper()
	if _, err := l.run(3*time.Minute, nil, "proxy-mode", mode); err != nil {
		tb.Fatal(err)
	}
	if err := l.reload(); err != nil {
		tb.Fatal(err)
	}
}

// ProxyCtl stops or starts node i's kube-proxy; stopped, its rules stay
// and go stale.
func (l *K8sLab) ProxyCtl(tb testing.TB, what string, i int) {
	tb.Helper()
	if _, err := l.run(2*time.Minute, nil, "proxy", what, strconv.Itoa(i)); err != nil {
		tb.Fatal(err)
	}
}

// WaitFor polls cond until it holds or limit passes.
func WaitFor(tb testing.TB, what string, limit time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not after %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// K8sLabDir is where tests keep their lab: a fixed place, so that a lab left
// by a killed test run is found and removed by the next one.
func K8sLabDir() string {
	if d := os.Getenv("NETDIAG_K8SLAB_DIR"); d != "" {
		return d
	}
	return "/var/tmp/netdiag-k8slab-test"
}

// LockConntrack serialises the tests that fill the conntrack table to its
// limit: nf_conntrack_max is one for the whole kernel, so two at once
// would overflow it for every test running. The lock ends with the test.
func LockConntrack(tb testing.TB) {
	tb.Helper()
	f, err := os.OpenFile("/run/netdiag-test-conntrack.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		tb.Fatalf("conntrack lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		tb.Fatalf("conntrack lock: %v", err)
	}
	tb.Cleanup(func() { f.Close() })
}
