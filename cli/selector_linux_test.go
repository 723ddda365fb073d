package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// runAsNobody runs Main in a copy of the test binary as user nobody, for
// whom /proc/1/ns/net cannot be opened.
func runAsNobody(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "netdiag-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "cli.test")
	copyFile(t, self, bin)
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), "NETDIAG_CLI_TEST_MAIN="+strings.Join(args, "\x1f"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestNodeNetNSUnreadable: when PID 1's netns cannot be opened (here: as
// user nobody), netdiag says so and how to name the node's netns, instead
// of reading its own netns as the node's and printing its interfaces.
func TestNodeNetNSUnreadable(t *testing.T) {
	testlab.RequireRoot(t)
	for _, args := range [][]string{{"ip", "addr"}, {"-o", "json", "ip", "route"}, {"sockets", "-l"}} {
		code, stdout, stderr := runAsNobody(t, args...)
		if code != ExitError || stdout != "" {
			t.Errorf("%v as nobody: exit %d (want 1), stdout %q", args, code, stdout)
		}
		oneLine(t, stderr, "open the node netns /proc/1/ns/net (PID 1's)", "--node-netns /proc/self/ns/net")
	}
}
