package sysctl

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

func TestSysctlPath(t *testing.T) {
	tests := []struct{ name, want string }{
		{"net.core.somaxconn", "/proc/sys/net/core/somaxconn"},
		{"net.ipv4.conf.eth0/100.rp_filter", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"},
	}
	for _, tc := range tests {
		got, err := Path(tc.name)
		if err != nil || got != tc.want {
			t.Errorf("Path(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if back := sysctlName(got); back != tc.name {
			t.Errorf("sysctlName(%q) = %q", got, back)
		}
	}
	for _, bad := range []string{"kernel.pid_max", "net", "net..core", "net.core.., ", "net.ipv4.conf.../x"} {
		if _, err := Path(bad); err == nil {
			t.Errorf("Path(%q) accepted", bad)
		}
	}
}

// The values a netns sees are its own: a change made with `ip netns exec
// sysctl -w` shows through Read and not in the test's own netns.
func TestReadWriteSysctlsPerNetNS(t *testing.T) {
	testlab.RequireTool(t, "sysctl")
	name := testlab.NewNetNS(t)
	ns, err := nsutil.Open(testlab.NetNSPath(name))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	self, err := nsutil.Self()
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	hostBefore, err := Read(self, "net.core.somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	testlab.InNetNS(t, name, "sysctl", "-q", "-w", "net.core.somaxconn=77")
	names := []string{"net.core.somaxconn", "net.ipv4.ip_local_port_range", "net.ipv4.conf.lo.rp_filter", "net.ipv4.ip_forward"}
	got, err := Read(ns, names...)
	if err != nil {
		t.Fatal(err)
	}
	var want []Param
	for _, n := range names {
		out := strings.TrimSpace(testlab.InNetNS(t, name, "sysctl", "-n", n))
		want = append(want, Param{Name: n, Value: out})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("differs from sysctl(8) in the netns (-want +got):\n%s", diff)
	}

	ch, err := Write(ns, "net.core.somaxconn", "99")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Old != "77" || ch.New != "99" {
		t.Errorf("change = %+v, want 77 -> 99", ch)
	}
	if v := strings.TrimSpace(testlab.InNetNS(t, name, "sysctl", "-n", "net.core.somaxconn")); v != "99" {
		t.Errorf("sysctl(8) sees %s after the write, want 99", v)
	}
	hostAfter, err := Read(self, "net.core.somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	if hostAfter[0] != hostBefore[0] {
		t.Errorf("the test's own netns changed: %v -> %v", hostBefore, hostAfter)
	}

	all, err := Read(ns)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range all {
		found = found || (s.Name == "net.core.somaxconn" && s.Value == "99")
	}
	if !found || len(all) < 100 {
		t.Errorf("listing all: %d sysctls, somaxconn=99 found: %v", len(all), found)
	}

	if _, err := Read(ns, "net.core.nope"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown sysctl: %v, want ErrUnknown", err)
	}
	if _, err := Write(ns, "net.core.somaxconn", "banana"); err == nil {
		t.Error("kernel accepted banana")
	}
}
