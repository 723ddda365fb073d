package testlab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Fault injects a failure mode into the lab with `lab.sh fault NAME ARGS…`
// (the names and what they do: scripts/lib/faults.sh) and heals it when the
// test ends, unless Heal did first. lab.sh saves what it changes and heal
// puts it back.
func (l *Lab) Fault(tb testing.TB, name string, args ...string) {
	tb.Helper()
	l.labsh(tb, append([]string{"fault", name}, args...)...)
	tb.Cleanup(func() { l.heal(tb, name) })
}

// Heal undoes Fault now; healing a fault that is not injected does nothing.
func (l *Lab) Heal(tb testing.TB, name string) {
	tb.Helper()
	l.labsh(tb, "heal", name)
}

func (l *Lab) heal(tb testing.TB, name string) {
	if out, err := l.labshCmd(tb, "heal", name).CombinedOutput(); err != nil {
		tb.Errorf("lab.sh heal %s --name %s: %v\n%s", name, l.Name, err, out)
	}
}

// Faults lists the faults injected now.
func (l *Lab) Faults(tb testing.TB) []string {
	tb.Helper()
	return strings.Fields(l.labsh(tb, "faults"))
}

// DNSUp starts the lab's cluster DNS (`lab.sh dns up`): DNS servers in pods
// 1 and 2 behind the kube-dns service 198.18.200.53, kube-proxy rules in the
// node netns. It is stopped when the test ends. The lab needs 2 pods or more.
func (l *Lab) DNSUp(tb testing.TB) {
	tb.Helper()
	l.labsh(tb, "dns", "up")
	tb.Cleanup(func() {
		if out, err := l.labshCmd(tb, "dns", "down").CombinedOutput(); err != nil {
			tb.Errorf("lab.sh dns down --name %s: %v\n%s", l.Name, err, out)
		}
	})
}

// The lab's fixed addresses for faults, as in internal/cmd/ndlab.
const (
	LabDNSVIP        = "198.18.200.53"
	LabStaleEndpoint = "198.18.0.250"
)

func (l *Lab) labshCmd(tb testing.TB, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(filepath.Join(ScriptsDir(tb), "lab.sh"), append(args, "--name", l.Name)...)
	cmd.Env = append(os.Environ(), "NDLAB="+NDLab(tb))
	return cmd
}

func (l *Lab) labsh(tb testing.TB, args ...string) string {
	tb.Helper()
	RequireTool(tb, "jq", "ss", "iptables-nft", "nft", "conntrack")
	out, err := l.labshCmd(tb, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("lab.sh %s --name %s: %v\n%s", strings.Join(args, " "), l.Name, err, out)
	}
	return string(out)
}

var (
	ndlabOnce sync.Once
	ndlabPath string
	ndlabErr  error
)

// NDLab builds internal/cmd/ndlab, lab.sh's traffic and service helper,
// once per test binary, and returns its path.
func NDLab(tb testing.TB) string {
	tb.Helper()
	ndlabOnce.Do(func() {
		dir, err := os.MkdirTemp("", "netdiag-ndlab")
		if err != nil {
			ndlabErr = err
			return
		}
		ndlabPath = filepath.Join(dir, "ndlab")
		cmd := exec.Command("go", "build", "-o", ndlabPath, "./internal/cmd/ndlab")
		cmd.Dir = ModuleRoot(tb)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			ndlabErr = fmt.Errorf("go build ./internal/cmd/ndlab: %v\n%s", err, out)
		}
	})
	if ndlabErr != nil {
		tb.Fatalf("build ndlab: %v", ndlabErr)
	}
	return ndlabPath
}
