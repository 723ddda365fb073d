package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNodeBinaryHasNoKubernetesClient proves the node binary does not grow
// by kubectl-netdiag: it must not link client-go or apimachinery (only the
// plugin does; the agent's frame codec is standard library only).
func TestNodeBinaryHasNoKubernetesClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps .: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(p, "k8s.io/client-go/"), strings.HasPrefix(p, "k8s.io/apimachinery/"), strings.HasPrefix(p, "k8s.io/api/"):
			t.Errorf("the node binary imports %s", p)
		case p == "github.com/netdiag/netdiag/cmd/kubectl-netdiag/fleet":
			t.Errorf("the node binary imports package fleet (client-go); only fleet/frame is for it")
		}
	}
}
