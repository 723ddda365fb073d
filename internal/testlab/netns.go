package testlab

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
)

// UniqueName returns prefix plus random hex, short enough for an interface name
// (IFNAMSIZ is 16 with the NUL) when prefix has at most 7 characters.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}

// NewNetNS creates a named network namespace (`ip netns add`) with lo up and
// removes it when the test ends. It returns the name; its path is
// /var/run/netns/NAME.
func NewNetNS(tb testing.TB) string {
	tb.Helper()
	RequireRoot(tb)
	RequireTool(tb, "ip")
	name := UniqueName("ndt")
	Run(tb, "ip", "netns", "add", name)
	tb.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	Run(tb, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// NetNSPath is where `ip netns add` bind-mounts a namespace.
func NetNSPath(name string) string { return "/var/run/netns/" + name }

// Run runs a command and fails the test with its output when it fails.
func Run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// InNetNS runs a command inside a named netns with `ip netns exec`.
func InNetNS(tb testing.TB, ns string, name string, args ...string) string {
	tb.Helper()
	return Run(tb, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// VethPair creates a veth pair with one end in each namespace ("" for none given
// means the end stays where `ip -n` puts it) and addresses in CIDR form ("" to
// leave one unaddressed). Both ends are up. It returns the two interface names.
func VethPair(tb testing.TB, nsA, addrA, nsB, addrB string) (string, string) {
	tb.Helper()
	a, b := UniqueName("va"), UniqueName("vb")
	Run(tb, "ip", "-n", nsA, "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB)
	if addrA != "" {
		Run(tb, "ip", "-n", nsA, "addr", "add", addrA, "dev", a)
	}
	if addrB != "" {
		Run(tb, "ip", "-n", nsB, "addr", "add", addrB, "dev", b)
	}
	Run(tb, "ip", "-n", nsA, "link", "set", a, "up")
	Run(tb, "ip", "-n", nsB, "link", "set", b, "up")
	return a, b
}
