package cli

import (
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/sys/unix"
)

// netstateLab is a netns with conntrack on (a nat rule) and UDP flows
// 198.18.2.1 -> 198.18.2.2:5353 and :53, unreplied.
func netstateLab(t *testing.T) (string, string) {
	t.Helper()
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables", "conntrack", "sysctl")
	a, b := testlab.NewNetNS(t), testlab.NewNetNS(t)
	testlab.VethPair(t, a, "198.18.2.1/24", b, "198.18.2.2/24")
	testlab.InNetNS(t, a, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "198.18.2.99", "-j", "DNAT", "--to-destination", "198.18.2.2")
	ns, err := nsutil.Open(testlab.NetNSPath(a))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	for _, port := range []int{5353, 53} {
		fd, err := ns.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = unix.Sendto(fd, []byte("x"), 0, &unix.SockaddrInet4{Addr: [4]byte{198, 18, 2, 2}, Port: port})
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
	}
	return a, testlab.NetNSPath(a)
}

func ctSortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		f := strings.Fields(l)
		if len(f) > 3 {
			f = append(f[:2], f[3:]...) // the timeout ticks
		}
		out = append(out, strings.Join(f, " "))
	}
	sort.Strings(out)
	return out
}

func conntrackL(t *testing.T, ns string, args ...string) []string {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "conntrack", "-L"}, args...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	return ctSortedLines(string(out))
}

func TestConntrackCLI(t *testing.T) {
	name, path := netstateLab(t)
	code, out, stderr := run(t, "", "--node-netns", path, "conntrack", "list", "-p", "udp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := conntrackL(t, name, "-p", "udp")
	if strings.Join(want, "\n") != strings.Join(ctSortedLines(out), "\n") || len(want) != 2 {
		t.Errorf("list differs from conntrack -L:\nwant %q\ngot  %q", want, ctSortedLines(out))
	}
	if !strings.Contains(stderr, "2 flow entries have been shown") {
		t.Errorf("stderr %q", stderr)
	}

	code, out, _ = run(t, "", "--node-netns", path, "-o", "json", "conntrack", "list", "--dport", "53")
	var js struct {
		Entries []struct {
			Proto     string `json:"proto"`
			Unreplied bool   `json:"unreplied"`
			Original  struct {
				Dport int `json:"dport"`
			} `json:"original"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || code != 0 {
		t.Fatalf("json: exit %d, %v: %s", code, err, out)
	}
	if len(js.Entries) != 1 || js.Entries[0].Proto != "udp" || !js.Entries[0].Unreplied || js.Entries[0].Original.Dport != 53 {
		t.Errorf("json entries %+v", js.Entries)
	}

	// Bad input: clear message, exit 2, nothing touched.
	for _, args := range [][]string{
		{"conntrack", "list", "-s", "198.18.2.300"},
		{"conntrack", "list", "--state", "SLEEPING"},
		{"conntrack", "list", "-p", "quic"},
		{"conntrack", "list", "--dport", "70000"},
		{"conntrack", "delete"},
	} {
		code, _, stderr := run(t, "y\n", append([]string{"--node-netns", path}, args...)...)
		if code != ExitUsage || !strings.Contains(stderr, "netdiag: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with a message", args, code, stderr)
		}
	}

	// Answering no on the terminal deletes nothing and exits 1; so does a
	// yes piped in without a terminal (exit 2).
	before := conntrackL(t, name)
	code, out, stderr = runTTY(t, "n\n", "--node-netns", path, "conntrack", "delete", "-p", "udp", "--dport", "5353")
	if code != ExitError || out != "" || !strings.Contains(stderr, "netdiag: declined: no entry deleted") {
		t.Errorf("declined delete: exit %d, out %q, err %q", code, out, stderr)
	}
	code, out, stderr = run(t, "y\n", "--node-netns", path, "conntrack", "delete", "-p", "udp", "--dport", "5353")
	if code != ExitUsage || out != "" || !strings.Contains(stderr, "--yes") {
		t.Errorf("piped yes: exit %d, out %q, err %q", code, out, stderr)
	}
	if after := conntrackL(t, name); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("table changed without confirmation:\n%q\n%q", before, after)
	}
	// Yes deletes exactly the selected entry and says so.
	code, out, stderr = runTTY(t, "y\n", "--node-netns", path, "conntrack", "delete", "-p", "udp", "--dport", "5353")
	if code != 0 || !strings.Contains(out, "deleted: udp") || !strings.Contains(out, "dport=5353") || !strings.Contains(stderr, "1 flow entries have been deleted") {
		t.Errorf("delete: exit %d, out %q, err %q", code, out, stderr)
	}
	if got := conntrackL(t, name, "-p", "udp"); len(got) != 1 || !strings.Contains(got[0], "dport=53 ") {
		t.Errorf("after delete conntrack -L shows %q, want only the :53 flow", got)
	}

	code, out, stderr = run(t, "", "--node-netns", path, "conntrack", "stats")
	if code != 0 || !strings.HasPrefix(out, "count=1 max=") || !strings.Contains(out, "cpu=0") || !strings.Contains(out, "insert_failed=") {
		t.Errorf("stats: exit %d, out %q, err %q", code, out, stderr)
	}
}

func TestSysctlCLI(t *testing.T) {
	name, path := netstateLab(t)
	get := func() string {
		return strings.TrimSpace(testlab.InNetNS(t, name, "sysctl", "-n", "net.ipv4.ip_forward"))
	}
	orig := get()
	next := "1"
	if orig == "1" {
		next = "0"
	}
	code, out, stderr := runTTY(t, "n\n", "--node-netns", path, "sysctl", "--write", "net.ipv4.ip_forward="+next)
	if code != ExitError || out != "" || get() != orig {
		t.Errorf("declined write: exit %d, out %q, err %q, value now %s (was %s)", code, out, stderr, get(), orig)
	}
	code, out, stderr = runTTY(t, "y\n", "--node-netns", path, "sysctl", "--write", "net.ipv4.ip_forward="+next)
	if code != 0 || out != "net.ipv4.ip_forward: "+orig+" -> "+next+"\n" || get() != next {
		t.Errorf("write: exit %d, out %q, err %q, value now %s", code, out, stderr, get())
	}
	code, out, _ = run(t, "", "--node-netns", path, "sysctl", "net.ipv4.ip_forward", "net.core.somaxconn")
	want := "net.ipv4.ip_forward = " + next + "\nnet.core.somaxconn = " +
		strings.TrimSpace(testlab.InNetNS(t, name, "sysctl", "-n", "net.core.somaxconn")) + "\n"
	if code != 0 || out != want {
		t.Errorf("read: exit %d, out %q, want %q", code, out, want)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"sysctl", "net.core.no_such_thing"}, ExitError},
		{[]string{"sysctl", "kernel.pid_max"}, ExitUsage},
		{[]string{"sysctl", "--write", "net.core.somaxconn"}, ExitUsage},
	} {
		code, _, stderr := run(t, "", append([]string{"--node-netns", path}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, "netdiag: ") {
			t.Errorf("%v: exit %d, stderr %q, want exit %d", tc.args, code, stderr, tc.code)
		}
	}
}

func TestSocketsAndCountersCLI(t *testing.T) {
	name, path := netstateLab(t)
	testlab.RequireTool(t, "ss")
	ns, err := nsutil.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	fd, err := ns.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{198, 18, 2, 1}, Port: 8080}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 5); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "--node-netns", path, "sockets", "-tlnp") // ss habit: -n and -p are accepted
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ssOut := testlab.InNetNS(t, name, "ss", "-tlnH")
	if !strings.Contains(ssOut, "198.18.2.1:8080") {
		t.Fatalf("ss does not see the listener: %q", ssOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want header and one listener, got %q", out)
	}
	f := strings.Fields(lines[1])
	if f[0] != "tcp" || f[1] != "LISTEN" || f[2] != "0" || f[3] != "5" || f[4] != "198.18.2.1:8080" || f[5] != "0.0.0.0:*" || !strings.Contains(lines[1], "pid=") {
		t.Errorf("listener row %q", lines[1])
	}
	code, out, _ = run(t, "", "--node-netns", path, "counters", "ListenOverflows", "udpnoports")
	if code != 0 || !strings.Contains(out, "TcpExtListenOverflows") || !strings.Contains(out, "UdpNoPorts") {
		t.Errorf("counters: exit %d, out %q", code, out)
	}
	code, out, _ = run(t, "", "--node-netns", path, "-o", "json", "counters", "--interval", "100ms")
	if code != 0 || !strings.Contains(out, `"interval": "100ms"`) {
		t.Errorf("counters --interval: exit %d, out %.200q", code, out)
	}
}
