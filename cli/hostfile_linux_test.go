package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDNSNodeResolvConfFIFO: `dns --node` with the node's resolv.conf a
// FIFO fails at once with one line that says so (it hung forever).
func TestDNSNodeResolvConfFIFO(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(root, "etc/resolv.conf"), 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, stderr := run(t, "", "--host-root", root, "--node-netns", "/proc/self/ns/net", "dns", "--node", "kubernetes.default")
		done <- result{code, stdout, stderr}
	}()
	select {
	case r := <-done:
		if r.code != ExitError || r.stdout != "" {
			t.Errorf("exit %d (want 1), stdout %q", r.code, r.stdout)
		}
		oneLine(t, r.stderr, "resolv.conf", "not a regular file", "FIFO")
	case <-time.After(10 * time.Second):
		t.Fatal("dns --node still reading resolv.conf after 10s")
	}
}
