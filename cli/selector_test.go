package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestSelectorWithoutValue: a selector flag given no value (--pid 0, an
// empty --pod-ip) is a usage error, never "no selector", which would act on
// the node: a sysctl write would change the node's.
func TestSelectorWithoutValue(t *testing.T) {
	node := testlab.NewNetNS(t)
	g := []string{"--node-netns", testlab.NetNSPath(node)}
	before := testlab.InNetNS(t, node, "sysctl", "-n", "net.ipv4.ip_forward")
	next := "1"
	if strings.TrimSpace(before) == "1" {
		next = "0"
	}
	for _, sel := range [][]string{
		{"--pid", "0"}, {"--pid", "-1"}, {"--pid=0"},
		{"--pod-ip", ""}, {"--pod", " "}, {"--pod-uid", ""}, {"--netns", ""},
	} {
		for _, cmd := range [][]string{
			{"ip", "addr"},
			{"sockets", "-l"},
			{"sysctl", "--yes", "--write", "net.ipv4.ip_forward=" + next},
		} {
			args := append(append(append([]string{}, g...), cmd...), sel...)
			code, stdout, stderr := run(t, "", args...)
			if code != ExitUsage || stdout != "" {
				t.Errorf("%v: exit %d (want 2), stdout %q", args[2:], code, stdout)
			}
			oneLine(t, stderr, "--"+strings.TrimLeft(strings.SplitN(sel[0], "=", 2)[0], "-"), "acts on the node")
		}
	}
	if after := testlab.InNetNS(t, node, "sysctl", "-n", "net.ipv4.ip_forward"); after != before {
		t.Errorf("the node's net.ipv4.ip_forward changed from %q to %q", before, after)
	}
}

// TestHostRootMissing: a --host-root (or NETDIAG_HOST_ROOT) that is not a
// directory fails at once; it made every host file missing and every answer
// quietly empty.
func TestHostRootMissing(t *testing.T) {
	node := testlab.NewNetNS(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--host-root", "/nonexistent", "pods"}, "--host-root /nonexistent: no such file or directory"},
		{[]string{"pods", "--host-root", "/nonexistent"}, "--host-root /nonexistent: no such file or directory"},
		{[]string{"--host-root", file, "pods"}, "is not a directory"},
	} {
		code, stdout, stderr := run(t, "", append([]string{"--node-netns", testlab.NetNSPath(node)}, tc.args...)...)
		if code != ExitUsage || stdout != "" {
			t.Errorf("%v: exit %d (want 2), stdout %q", tc.args, code, stdout)
		}
		oneLine(t, stderr, tc.want, "where the node's files are")
	}
	t.Setenv("NETDIAG_HOST_ROOT", "/nonexistent")
	code, _, stderr := run(t, "", "--node-netns", testlab.NetNSPath(node), "pods")
	if code != ExitUsage {
		t.Errorf("NETDIAG_HOST_ROOT=/nonexistent: exit %d (want 2)", code)
	}
	oneLine(t, stderr, "--host-root /nonexistent")
}
