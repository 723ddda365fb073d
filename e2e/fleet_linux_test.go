package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
)

// The namespace of the carrier pods, and a "node agent" DaemonSet on the
// lab's image (like a CNI agent): the image kubectl-netdiag should choose.
const fleetNS = "nd-fleet"

const fleetWorkloads = `
apiVersion: v1
kind: Namespace
metadata:
  name: nd-fleet
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent, namespace: nd-fleet}
spec:
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
      hostNetwork: true
      terminationGracePeriodSeconds: 1
      tolerations: [{operator: Exists}]
      containers:
      - {name: agent, image: IMAGE, imagePullPolicy: Never, command: [sh, -c, "trap 'exit 0' TERM; sleep 1000000 & wait"]}
`

var (
	fleetOnce sync.Once
	fleetErr  error
	pluginBin string
)

// fleetLab is the lab with the fleet's namespace and DaemonSet, and the
// plugin built beside a netdiag-linux-amd64, as `make release` lays them out.
func fleetLab(t *testing.T) (*testlab.K8sLab, string) {
	t.Helper()
	l := cluster(t)
	nd := netdiag(t)
	fleetOnce.Do(func() {
		l.Apply(t, strings.ReplaceAll(fleetWorkloads, "IMAGE", l.Image))
		l.Kubectl(t, "-n", fleetNS, "rollout", "status", "ds/node-agent", "--timeout=120s")
		dir := filepath.Dir(nd)
		if os.Getenv("NETDIAG_E2E_BIN") != "" {
			if dir, fleetErr = os.MkdirTemp("", "netdiag-e2e-fleet-"); fleetErr != nil {
				return
			}
		}
		pluginBin = filepath.Join(dir, "kubectl-netdiag")
		cmd := exec.Command("go", "build", "-o", pluginBin, ".")
		cmd.Dir = filepath.Join(testlab.ModuleRoot(t), "cmd", "kubectl-netdiag") // a module of its own
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fleetErr = fmt.Errorf("go build kubectl-netdiag: %v\n%s", err, out)
			return
		}
		if err := os.Symlink(nd, filepath.Join(dir, "netdiag-linux-amd64")); err != nil && !errors.Is(err, os.ErrExist) {
			fleetErr = err
		}
	})
	if fleetErr != nil {
		t.Fatal(fleetErr)
	}
	return l, pluginBin
}

// plugin starts kubectl-netdiag on node 1 (the API server is reachable only
// inside the lab) as the lab's admin, with the carriers in fleetNS.
func plugin(t *testing.T, ctx context.Context, l *testlab.K8sLab, bin string, args ...string) *exec.Cmd {
	t.Helper()
	return l.Command(t, ctx, 1, bin, append([]string{"--kubeconfig", l.Kubeconfig, "-n", fleetNS}, args...)...)
}

// runPlugin runs kubectl-netdiag to its end.
func runPlugin(t *testing.T, l *testlab.K8sLab, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var o, e bytes.Buffer
	cmd := plugin(t, ctx, l, bin, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("kubectl-netdiag %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("kubectl-netdiag %s: exit %d; stderr:\n%s", strings.Join(args, " "), code, e.String())
	return o.String(), e.String(), code
}

// toolPods lists the pods and jobs of kubectl-netdiag in every namespace.
func toolPods(t *testing.T, l *testlab.K8sLab) []string {
	t.Helper()
	out := l.Kubectl(t, "get", "pods,jobs", "-A", "-l", toolSelector, "-o", "name")
	return strings.Fields(out)
}

// waitNoToolPods waits until nothing of kubectl-netdiag is left.
func waitNoToolPods(t *testing.T, l *testlab.K8sLab, limit time.Duration) {
	t.Helper()
	var left []string
	deadline := time.Now().Add(limit)
	for {
		if left = toolPods(t, l); len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("left after %v: %v", limit, left)
		}
		time.Sleep(time.Second)
	}
}

// waitRunningCarrier waits for a running carrier pod of kubectl-netdiag.
func waitRunningCarrier(t *testing.T, l *testlab.K8sLab) {
	t.Helper()
	testlab.WaitFor(t, "a running carrier pod", 2*time.Minute, func() bool {
		out := l.Kubectl(t, "-n", fleetNS, "get", "pods", "-l", toolSelector,
			"-o", "jsonpath={.items[*].status.phase}")
		time.Sleep(200 * time.Millisecond)
		return strings.Contains(out, "Running")
	})
}

// toolSelector selects every object kubectl-netdiag makes.
const toolSelector = "app.kubernetes.io/managed-by=kubectl-netdiag"

// merged is what `kubectl netdiag doctor -o json` prints, as a script that
// reads it sees it.
type merged struct {
	Nodes []struct {
		Node    string            `json:"node"`
		Cells   map[string]string `json:"checks"`
		Error   string            `json:"error"`
		Carrier string            `json:"carrier"`
	} `json:"nodes"`
	Groups []checkGroup `json:"findings"`
}

type checkGroup struct {
	Check string   `json:"check"`
	Nodes []string `json:"nodes"`
}

func decodeMerged(t *testing.T, out string) merged {
	t.Helper()
	var m merged
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("decode the merged report: %v\n%s", err, out)
	}
	return m
}

// TestFleetDoctor runs doctor on both nodes through the API server alone,
// then injects a fault on node 1 and expects it there and only there.
func TestFleetDoctor(t *testing.T) {
	l, bin := fleetLab(t)
	out, _, code := runPlugin(t, l, bin, "doctor", "--all-nodes", "-o", "json")
	m := decodeMerged(t, out)
	if len(m.Nodes) != 2 {
		t.Fatalf("reports of %d nodes, want 2: %+v", len(m.Nodes), m.Nodes)
	}
	for _, n := range m.Nodes {
		if n.Error != "" || len(n.Cells) == 0 {
			t.Errorf("node %s: no report: %s", n.Node, n.Error)
		}
		if n.Cells["ip-forward"] != "ok" {
			t.Errorf("node %s: ip-forward %q before the fault, want ok", n.Node, n.Cells["ip-forward"])
		}
		// The DaemonSet's image is the first choice.
		if !strings.Contains(n.Carrier, "(daemonset "+fleetNS+"/node-agent-") {
			t.Errorf("node %s: carrier %q, want the node-agent DaemonSet's image", n.Node, n.Carrier)
		}
	}
	if code != 0 && code != 3 {
		t.Fatalf("exit %d, want 0 or 3", code)
	}
	waitNoToolPods(t, l, 90*time.Second)

	heal := sysctl(t, l, 1, "net.ipv4.ip_forward", "0")
	defer heal()
	out, _, code = runPlugin(t, l, bin, "doctor", "--all-nodes", "-o", "json")
	heal()
	m = decodeMerged(t, out)
	if code != 3 {
		t.Errorf("exit %d with a fail finding on node 1, want 3", code)
	}
	cells := map[string]string{}
	for _, n := range m.Nodes {
		cells[n.Node] = n.Cells["ip-forward"]
	}
	if want := map[string]string{"nd-node1": "fail", "nd-node2": "ok"}; fmt.Sprint(cells) != fmt.Sprint(want) {
		t.Errorf("ip-forward per node %v, want %v", cells, want)
	}
	var group *checkGroup
	for i := range m.Groups {
		if m.Groups[i].Check == "ip-forward" {
			group = &m.Groups[i]
		}
	}
	if group == nil || fmt.Sprint(group.Nodes) != "[nd-node1]" {
		t.Errorf("ip-forward findings %+v, want on nd-node1 only", group)
	}
	// The table names the failing node under its check.
	table, _, _ := runPlugin(t, l, bin, "doctor", "--nodes", "nd-node1,nd-node2", "--check", "ip-forward")
	if !strings.Contains(table, "CHECK") || !strings.Contains(table, "nd-node2") {
		t.Errorf("table:\n%s", table)
	}
	waitNoToolPods(t, l, 90*time.Second)
}

// TestFleetRun: a node command's stdout, stderr and exit code come back.
func TestFleetRun(t *testing.T) {
	l, bin := fleetLab(t)
	out, _, code := runPlugin(t, l, bin, "run", "nd-node2", "--", "-o", "json", "pods")
	if code != 0 {
		t.Fatalf("run pods: exit %d", code)
	}
	var pods struct {
		Pods []struct{ Namespace, Name string }
	}
	if err := json.Unmarshal([]byte(out), &pods); err != nil {
		t.Fatalf("run pods: %v\n%s", err, out)
	}
	found := false
	for _, p := range pods.Pods {
		found = found || p.Namespace == ns && p.Name == "client"
	}
	if !found {
		t.Errorf("netdiag pods on nd-node2 does not list %s/client: %+v", ns, pods.Pods)
	}
	_, stderr, code := runPlugin(t, l, bin, "run", "nd-node1", "--", "doctor", "--check", "no-such-check")
	if code != 2 || !strings.Contains(stderr, `unknown check "no-such-check"`) {
		t.Errorf("a usage error on the node: exit %d, stderr %q; want 2 and netdiag's message", code, stderr)
	}
	waitNoToolPods(t, l, 90*time.Second)
}

// TestFleetCleanup: nothing of the tool is left after a normal exit, an
// interrupt, a SIGKILL followed by cleanup, and a SIGKILL alone once the
// deadline passes.
func TestFleetCleanup(t *testing.T) {
	l, bin := fleetLab(t)
	// A command that runs until stopped.
	long := []string{"run", "nd-node1", "--", "capture", "-i", "lo", "--duration", "10m"}
	start := func(t *testing.T, extra ...string) (*exec.Cmd, context.CancelFunc) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := plugin(t, ctx, l, bin, append(extra, long...)...)
		var e bytes.Buffer
		cmd.Stderr = &e
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Cleanup(func() { t.Logf("stderr: %s", e.String()) })
		waitRunningCarrier(t, l)
		return cmd, cancel
	}
	t.Run("exit", func(t *testing.T) {
		if _, _, code := runPlugin(t, l, bin, "run", "nd-node1", "--", "version"); code != 0 {
			t.Fatalf("exit %d", code)
		}
		waitNoToolPods(t, l, 90*time.Second)
	})
	t.Run("sigint", func(t *testing.T) {
		cmd, cancel := start(t)
		defer cancel()
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		waitNoToolPods(t, l, 90*time.Second)
	})
	t.Run("sigkill-cleanup", func(t *testing.T) {
		cmd, cancel := start(t)
		defer cancel()
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if left := toolPods(t, l); len(left) == 0 {
			t.Fatal("nothing left after SIGKILL: the test proves nothing")
		}
		if out, _, code := runPlugin(t, l, bin, "cleanup"); code != 0 {
			t.Fatalf("cleanup: exit %d: %s", code, out)
		}
		waitNoToolPods(t, l, 90*time.Second)
	})
	t.Run("sigkill-deadline", func(t *testing.T) {
		cmd, cancel := start(t, "--deadline", "20s")
		defer cancel()
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		// The owner job's deadline fails it, its TTL deletes it, and the
		// garbage collector its pods.
		waitNoToolPods(t, l, 2*time.Minute)
	})
}

// TestFleetNoShell: a carrier image without a shell is reported with its
// reason, and the command ends.
func TestFleetNoShell(t *testing.T) {
	l, bin := fleetLab(t)
	dir := t.TempDir()
	ndcri := filepath.Join(dir, "ndcri")
	build := exec.Command("go", "build", "-o", ndcri, "./internal/cmd/ndcri")
	build.Dir = testlab.ModuleRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ndcri: %v\n%s", err, out)
	}
	const image = "docker.io/netdiag/noshell:local"
	tar := filepath.Join(dir, "noshell.tar")
	testlab.Run(t, ndcri, "image-build", "-no-busybox", "-name", image, "-add", netdiag(t)+":/usr/local/bin/netdiag", "-o", tar)
	l.Exec(t, 2, "ctr", "-n", "k8s.io", "images", "import", tar)
	defer l.Exec(t, 2, "ctr", "-n", "k8s.io", "images", "rm", image)

	out, _, code := runPlugin(t, l, bin, "--carrier-image", image, "doctor", "--nodes", "nd-node2", "-o", "json")
	if code != 1 {
		t.Errorf("exit %d, want 1 (a node not examined)", code)
	}
	m := decodeMerged(t, out)
	if len(m.Nodes) != 1 || !strings.Contains(m.Nodes[0].Error, "no shell") || !strings.Contains(m.Nodes[0].Error, image) {
		t.Errorf("the node's error does not say the image has no shell: %+v", m.Nodes)
	}
	waitNoToolPods(t, l, 90*time.Second)
}

// TestFleetPluginBuilds: kubectl-netdiag and all it imports build for macOS
// and Windows (the node binary needs Linux; the plugin must not).
func TestFleetPluginBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the plugin")
	}
	for _, target := range []string{"darwin/arm64", "windows/amd64"} {
		t.Run(strings.ReplaceAll(target, "/", "-"), func(t *testing.T) {
			goos, goarch, _ := strings.Cut(target, "/")
			cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "kubectl-netdiag"), ".")
			cmd.Dir = filepath.Join(testlab.ModuleRoot(t), "cmd", "kubectl-netdiag")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("GOOS=%s GOARCH=%s go build ./cmd/kubectl-netdiag: %v\n%s", goos, goarch, err, out)
			}
		})
	}
}

// TestFleetBundle: every node's bundle in one archive, under its name.
func TestFleetBundle(t *testing.T) {
	l, bin := fleetLab(t)
	file := filepath.Join(t.TempDir(), "case.tar.gz")
	if _, _, code := runPlugin(t, l, bin, "bundle", "--all-nodes", "-w", file); code != 0 {
		t.Fatalf("bundle: exit %d", code)
	}
	list := testlab.Run(t, "tar", "-tzf", file)
	for _, want := range []string{"manifest.json\n", "nd-node1/manifest.json\n", "nd-node2/manifest.json\n"} {
		if !strings.Contains("\n"+list, "\n"+want) {
			t.Errorf("the archive has no %s; it has:\n%.2000s", strings.TrimSpace(want), list)
		}
	}
	waitNoToolPods(t, l, 90*time.Second)
}
