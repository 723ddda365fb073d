// Package e2e proves netdiag on a real Kubernetes cluster: kubelet,
// kube-proxy (iptables and nftables modes), containerd, the CNI bridge and
// CoreDNS, built from source and run by scripts/k8snode.sh in namespaces of
// its own. Every answer of netdiag is compared with what the API server says.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

var (
	labOnce sync.Once
	lab     *testlab.K8sLab
	labErr  error

	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if lab != nil {
		if err := lab.Down(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// cluster is the two-node lab with the test workloads, brought up by the
// first test that needs it and removed when the test binary ends.
func cluster(t *testing.T) *testlab.K8sLab {
	t.Helper()
	testlab.RequireRoot(t)
	labOnce.Do(func() {
		dir := testlab.K8sLabDir()
		// A lab left by a killed run is removed first.
		if _, err := os.Stat(filepath.Join(dir, "ledger")); err == nil {
			_ = exec.Command(filepath.Join(testlab.ScriptsDir(t), "k8snode.sh"), "--dir", dir, "down").Run()
		}
		lab, labErr = testlab.StartK8sLab(t, dir, 2, "iptables")
		if labErr == nil {
			labErr = deployWorkloads(t, lab)
		}
	})
	if labErr != nil {
		t.Fatalf("the Kubernetes lab: %v", labErr)
	}
	if lab == nil {
		// The test that tried to start it stopped (a skip, or a failure).
		t.Fatal("the Kubernetes lab did not start: see the first test that needed it")
	}
	return lab
}

// netdiag is the binary under test, built once (or NETDIAG_E2E_BIN, a
// binary built elsewhere).
func netdiag(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("NETDIAG_E2E_BIN"); b != "" {
		return b
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "netdiag-e2e-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "netdiag")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Dir = testlab.ModuleRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}
