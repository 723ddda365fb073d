package testlab

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Lab is a simulated node made by scripts/lab.sh: a node netns with bridge
// cbr0 and pods, each a netns with eth0 on the bridge and one process in a
// kubepods-style cgroup, plus kubelet-style files under HostRoot. netdiag
// reaches it with --node-netns NodeNetNS --host-root HostRoot.
type Lab struct {
	Name          string   `json:"name"`
	NodeNetNS     string   `json:"nodeNetns"`     // path, /var/run/netns/ndlab-NAME
	NodeNetNSName string   `json:"nodeNetnsName"` // name for ip -n
	HostRoot      string   `json:"hostRoot"`
	Bridge        string   `json:"bridge"`
	Gateway       string   `json:"gateway"`     // the bridge's address
	Subnet        string   `json:"subnet"`      // CIDR of the pods
	CgroupRoots   []string `json:"cgroupRoots"` // one directory per cgroup hierarchy
	Pods          []LabPod `json:"pods"`

	down sync.Once
}

// LabPod is one simulated pod.
type LabPod struct {
	Namespace     string `json:"namespace"`
	Name          string `json:"name"`
	UID           string `json:"uid"`
	IP            string `json:"ip"`
	NetNS         string `json:"netns"`     // path, /var/run/netns/ndlab-NAME-pI
	NetNSName     string `json:"netnsName"` // name for ip -n
	HostVeth      string `json:"hostVeth"`  // eth0's peer, in the node netns
	SandboxID     string `json:"sandboxId"`
	ContainerID   string `json:"containerId"`
	ContainerName string `json:"containerName"`
	PID           int    `json:"pid"`
	Cgroup        string `json:"cgroup"` // path inside every hierarchy, as /proc/PID/cgroup shows it
}

// NewLab brings up a simulated node with the given number of pods (1..200)
// under a unique name and tears it down when the test ends.
func NewLab(tb testing.TB, pods int) *Lab {
	tb.Helper()
	RequireRoot(tb)
	RequireTool(tb, "ip", "nsenter", "setsid")
	script := filepath.Join(ScriptsDir(tb), "lab.sh")
	name := UniqueName("t")
	var l *Lab
	tb.Cleanup(func() {
		if l != nil {
			l.Down(tb)
			return
		}
		// up failed part-way; lab.sh cleans up after itself, but make sure.
		_ = exec.Command(script, "down", "--name", name).Run()
	})
	Run(tb, script, "up", "--name", name, "--pods", fmt.Sprint(pods))
	l, err := parseLab([]byte(Run(tb, script, "status", "--name", name)))
	if err != nil {
		tb.Fatalf("lab.sh status: %v", err)
	}
	if len(l.Pods) != pods {
		tb.Fatalf("lab.sh made %d pods, want %d", len(l.Pods), pods)
	}
	return l
}

func parseLab(b []byte) (*Lab, error) {
	l := &Lab{}
	if err := json.Unmarshal(b, l); err != nil {
		return nil, fmt.Errorf("parse lab state: %w", err)
	}
	if l.Name == "" || l.NodeNetNS == "" || l.HostRoot == "" {
		return nil, fmt.Errorf("parse lab state: name, nodeNetns or hostRoot missing")
	}
	return l, nil
}

// Down removes the lab now (it is also removed when the test ends); later
// calls do nothing.
func (l *Lab) Down(tb testing.TB) {
	tb.Helper()
	l.down.Do(func() {
		out, err := exec.Command(filepath.Join(ScriptsDir(tb), "lab.sh"), "down", "--name", l.Name).CombinedOutput()
		if err != nil {
			tb.Errorf("lab.sh down --name %s: %v\n%s", l.Name, err, out)
		}
	})
}

// NetdiagArgs are the global flags that point netdiag at this lab.
func (l *Lab) NetdiagArgs() []string {
	return []string{"--node-netns", l.NodeNetNS, "--host-root", l.HostRoot}
}

// NSEnter runs a command in the network namespace at path (nsenter --net, so
// the mount namespace stays the caller's) and fails the test when it fails.
func NSEnter(tb testing.TB, netnsPath string, name string, args ...string) string {
	tb.Helper()
	return Run(tb, "nsenter", append([]string{"--net=" + netnsPath, "--", name}, args...)...)
}

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// ModuleRoot is the directory holding go.mod, found by walking up from the
// working directory (a package directory under go test).
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	rootOnce.Do(func() {
		var dir string
		dir, rootErr = os.Getwd()
		for rootErr == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = fmt.Errorf("no go.mod above the working directory")
			}
			dir = parent
		}
	})
	if rootErr != nil {
		tb.Fatalf("find module root: %v", rootErr)
	}
	return rootDir
}

// ScriptsDir is the module's scripts/ directory.
func ScriptsDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(ModuleRoot(tb), "scripts")
}
