package testlab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// RealNode is a real containerd + runc + CNI bridge node made by
// scripts/realnode.sh: containerd runs inside the node netns NodeNetNS with a
// private root, state and socket under Dir, and its pods come from CRI.
// netdiag reaches it with --runtime-endpoint Endpoint --node-netns NodeNetNS
// --host-root HostRoot.
type RealNode struct {
	Name          string    `json:"name"`
	Dir           string    `json:"dir"`
	Socket        string    `json:"socket"`
	Endpoint      string    `json:"endpoint"` // unix://Socket
	NodeNetNSName string    `json:"nodeNetnsName"`
	NodeNetNS     string    `json:"nodeNetns"` // path
	HostRoot      string    `json:"hostRoot"`
	Bridge        string    `json:"bridge"`
	Subnet        string    `json:"subnet"`
	Gateway       string    `json:"gateway"`
	Image         string    `json:"image"` // busybox; also the sandbox image
	NDCRI         string    `json:"ndcri"` // the CRI client binary
	CgroupRoot    string    `json:"cgroupRoot"`
	ContainerdPID int       `json:"containerdPid"`
	HTTPPort      int       `json:"httpPort"` // every pod's "app" container serves its pod name here
	Pods          []RealPod `json:"pods"`

	down sync.Once
}

// RealPod is one pod sandbox as CRI reports it.
type RealPod struct {
	SandboxID    string          `json:"sandboxId"`
	Namespace    string          `json:"namespace"`
	Name         string          `json:"name"`
	UID          string          `json:"uid"`
	State        string          `json:"state"` // ready, notready
	IP           string          `json:"ip"`
	PID          int             `json:"pid"`   // the sandbox (pause) process
	NetNS        string          `json:"netns"` // containerd's bind mount under Dir
	CgroupParent string          `json:"cgroupParent"`
	Containers   []RealContainer `json:"containers"`
}

// RealContainer is one container as CRI reports it.
type RealContainer struct {
	ID           string `json:"id"`
	PodSandboxID string `json:"podSandboxId"`
	Name         string `json:"name"`
	Image        string `json:"image"`
	State        string `json:"state"` // created, running, exited, unknown
	PID          int    `json:"pid"`
}

// NewRealNode starts a real node with the given number of pods (0..50) in a
// fresh directory and tears it down when the test ends. The first call in a
// test binary builds ndcri, which takes long on a cold Go build cache.
func NewRealNode(tb testing.TB, pods int) *RealNode {
	tb.Helper()
	RequireRoot(tb)
	RequireTool(tb, "ip", "nsenter", "setsid", "containerd", "containerd-shim-runc-v2", "ctr", "runc", "busybox", "jq", "go")
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		skip(tb, "test needs the CNI plugins in /usr/lib/cni (package containernetworking-plugins)")
	}
	ndcri := buildNDCRI(tb)
	script := filepath.Join(ScriptsDir(tb), "realnode.sh")
	name := UniqueName("r")
	dir := "/run/ndreal-" + name
	var n *RealNode
	tb.Cleanup(func() {
		if n != nil {
			n.Down(tb)
			return
		}
		_ = exec.Command(script, "down", "--dir", dir, "--name", name).Run()
	})
	runBounded(tb, 3*time.Minute, script, "up", "--dir", dir, "--name", name, "--pods", fmt.Sprint(pods), "--ndcri", ndcri)
	n = &RealNode{}
	if err := json.Unmarshal([]byte(Run(tb, script, "status", "--dir", dir)), n); err != nil {
		tb.Fatalf("realnode.sh status: %v", err)
	}
	if len(n.Pods) != pods {
		tb.Fatalf("realnode.sh started %d pods, want %d", len(n.Pods), pods)
	}
	return n
}

// Down removes the node now (it is also removed when the test ends); later
// calls do nothing.
func (n *RealNode) Down(tb testing.TB) {
	tb.Helper()
	n.down.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, filepath.Join(ScriptsDir(tb), "realnode.sh"), "down", "--dir", n.Dir, "--name", n.Name).CombinedOutput()
		if err != nil {
			tb.Errorf("realnode.sh down --dir %s: %v\n%s", n.Dir, err, out)
		}
	})
}

// NetdiagArgs are the global flags that point netdiag at this node.
func (n *RealNode) NetdiagArgs() []string {
	return []string{"--runtime-endpoint", n.Endpoint, "--node-netns", n.NodeNetNS, "--host-root", n.HostRoot}
}

// CRI runs ndcri against this node's socket and returns its output.
func (n *RealNode) CRI(tb testing.TB, args ...string) string {
	tb.Helper()
	return runBounded(tb, time.Minute, n.NDCRI, append([]string{"-r", n.Endpoint, "-timeout", "50s"}, args...)...)
}

// ListPods asks CRI for the pods now.
func (n *RealNode) ListPods(tb testing.TB) []RealPod {
	tb.Helper()
	var pods []RealPod
	if err := json.Unmarshal([]byte(n.CRI(tb, "pods")), &pods); err != nil {
		tb.Fatalf("ndcri pods: %v", err)
	}
	return pods
}

// Containers asks CRI for the containers of one pod sandbox ("" for all).
func (n *RealNode) Containers(tb testing.TB, sandboxID string) []RealContainer {
	tb.Helper()
	var cs []RealContainer
	if err := json.Unmarshal([]byte(n.CRI(tb, "containers", "-pod", sandboxID)), &cs); err != nil {
		tb.Fatalf("ndcri containers: %v", err)
	}
	return cs
}

// PodStatus is the sandbox status with containerd's verbose info, decoded
// (like `crictl inspectp`).
func (n *RealNode) PodStatus(tb testing.TB, sandboxID string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(n.CRI(tb, "pod-status", sandboxID)), &m); err != nil {
		tb.Fatalf("ndcri pod-status: %v", err)
	}
	return m
}

// RunContainer creates and starts a container from the node's busybox image
// in an existing pod; cmd empty means the image's default (sleep inf).
func (n *RealNode) RunContainer(tb testing.TB, sandboxID, name string, cmd ...string) RealContainer {
	tb.Helper()
	args := []string{"create-container", "-pod", sandboxID, "-name", name, "-image", n.Image}
	if len(cmd) > 0 {
		args = append(append(args, "--"), cmd...)
	}
	var c RealContainer
	if err := json.Unmarshal([]byte(n.CRI(tb, args...)), &c); err != nil {
		tb.Fatalf("ndcri create-container: %v", err)
	}
	return c
}

// StopContainer stops a container through CRI (it stays listed, exited).
func (n *RealNode) StopContainer(tb testing.TB, id string) {
	tb.Helper()
	n.CRI(tb, "stop-container", id)
}

// RemoveContainer stops and removes a container through CRI, as kubelet does.
func (n *RealNode) RemoveContainer(tb testing.TB, id string) {
	tb.Helper()
	n.CRI(tb, "rm-container", id)
}

// NodeExec runs a host binary in the node netns (nsenter --net).
func (n *RealNode) NodeExec(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	return NSEnter(tb, n.NodeNetNS, name, args...)
}

// PodExec runs a binary of the pod's image inside the pod: the sandbox
// process's network, mount, UTS and IPC namespaces (nsenter -t PID -n -m -u -i).
func (n *RealNode) PodExec(tb testing.TB, pod RealPod, name string, args ...string) string {
	tb.Helper()
	return Run(tb, "nsenter", append([]string{"-t", fmt.Sprint(pod.PID), "-n", "-m", "-u", "-i", "--", name}, args...)...)
}

// runBounded is Run with a time limit, for commands that could hang on a
// stuck runtime.
func runBounded(tb testing.TB, limit time.Duration, name string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var (
	ndcriOnce sync.Once
	ndcriPath string
	ndcriErr  error
)

// buildNDCRI builds internal/cmd/ndcri once per test binary into a shared
// directory (atomically replaced, so parallel test binaries do not collide).
func buildNDCRI(tb testing.TB) string {
	tb.Helper()
	ndcriOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "netdiag-ndcri")
		if ndcriErr = os.MkdirAll(dir, 0o755); ndcriErr != nil {
			return
		}
		tmp := filepath.Join(dir, fmt.Sprintf("ndcri.%d", os.Getpid()))
		cmd := exec.Command("go", "build", "-o", tmp, "./internal/cmd/ndcri")
		cmd.Dir = ModuleRoot(tb)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			ndcriErr = fmt.Errorf("go build ./internal/cmd/ndcri: %v\n%s", err, out)
			return
		}
		ndcriPath = filepath.Join(dir, "ndcri")
		ndcriErr = os.Rename(tmp, ndcriPath)
	})
	if ndcriErr != nil {
		tb.Fatalf("build ndcri: %v", ndcriErr)
	}
	return ndcriPath
}
