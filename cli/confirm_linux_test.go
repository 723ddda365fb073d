package cli

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
)

// openPTY opens a pseudo-terminal pair (pty(7)): what is written to master
// is typed on the terminal slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// runTTY runs netdiag with a terminal as stdin on which answer is typed
// ahead ("\x04", Ctrl-D, is the end of input).
func runTTY(t *testing.T, answer string, args ...string) (int, string, string) {
	t.Helper()
	m, s := openPTY(t)
	if _, err := m.WriteString(answer); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Main(append([]string{"netdiag"}, args...), s, &out, &errb)
	return code, out.String(), errb.String()
}

// TestChangesNeedTTYOrYes: a "y" piped in must not approve a change. Every
// command that changes the node refuses to run without --yes when stdin is
// not a terminal, before it reads or changes anything.
func TestChangesNeedTTYOrYes(t *testing.T) {
	node := testlab.NewNetNS(t)
	path := testlab.NetNSPath(node)
	before := testlab.InNetNS(t, node, "sysctl", "-n", "net.ipv4.ip_forward")
	next := "1"
	if strings.TrimSpace(before) == "1" {
		next = "0"
	}
	for _, args := range [][]string{
		{"sysctl", "--write", "net.ipv4.ip_forward=" + next},
		{"conntrack", "delete", "-p", "udp", "--dport", "5353"},
		{"stale-container", "scan", "--kill"},
		{"stale-container", "scan", "--kill", "--port", "8080"},
	} {
		full := append([]string{"--node-netns", path, "--host-root", t.TempDir()}, args...)
		for _, stdin := range []string{"y\n", "yes\n", ""} {
			code, stdout, stderr := run(t, stdin, full...)
			if code != ExitUsage || stdout != "" {
				t.Errorf("%v with stdin %q: exit %d (want 2), stdout %q", args, stdin, code, stdout)
			}
			oneLine(t, stderr, "stdin is not a terminal", "--yes")
		}
	}
	if after := testlab.InNetNS(t, node, "sysctl", "-n", "net.ipv4.ip_forward"); after != before {
		t.Errorf("net.ipv4.ip_forward changed from %q to %q without a terminal", before, after)
	}
}

// TestSysctlConfirmOnTTY: on a terminal, no (or the end of input) changes
// nothing and exits 1 saying so; yes writes.
func TestSysctlConfirmOnTTY(t *testing.T) {
	node := testlab.NewNetNS(t)
	path := testlab.NetNSPath(node)
	get := func() string {
		return strings.TrimSpace(testlab.InNetNS(t, node, "sysctl", "-n", "net.ipv4.ip_forward"))
	}
	orig := get()
	next := "1"
	if orig == "1" {
		next = "0"
	}
	for _, answer := range []string{"n\n", "\n", "maybe\n", "\x04"} {
		code, stdout, stderr := runTTY(t, answer, "--node-netns", path, "sysctl", "--write", "net.ipv4.ip_forward="+next)
		if code != ExitError || stdout != "" || get() != orig {
			t.Errorf("answer %q: exit %d (want 1), stdout %q, value %s (was %s)", answer, code, stdout, get(), orig)
		}
		if !strings.Contains(stderr, "[y/N]") || !strings.Contains(stderr, "netdiag: declined: net.ipv4.ip_forward is still "+orig) {
			t.Errorf("answer %q: stderr %q does not ask and then say it declined", answer, stderr)
		}
	}
	code, stdout, stderr := runTTY(t, "y\n", "--node-netns", path, "sysctl", "--write", "net.ipv4.ip_forward="+next)
	if code != ExitOK || stdout != "net.ipv4.ip_forward: "+orig+" -> "+next+"\n" || get() != next {
		t.Errorf("answer y: exit %d, stdout %q, stderr %q, value %s", code, stdout, stderr, get())
	}
	code, stdout, stderr = run(t, "", "--node-netns", path, "sysctl", "--yes", "--write", "net.ipv4.ip_forward="+orig)
	if code != ExitOK || stdout != "net.ipv4.ip_forward: "+next+" -> "+orig+"\n" || get() != orig || strings.Contains(stderr, "[y/N]") {
		t.Errorf("--yes without a terminal: exit %d, stdout %q, stderr %q, value %s", code, stdout, stderr, get())
	}
}
