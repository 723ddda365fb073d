package cli

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/kubeproxy"
	"github.com/netdiag/netdiag/node"
)

func TestAddressNames(t *testing.T) {
	a := netip.MustParseAddr
	pods := []node.Pod{
		{Namespace: "default", Name: "web-1", IPs: []string{"198.18.1.5", "2002:c612::5"}},
		{Namespace: "kube-system", Name: "proxy", IPs: []string{"198.18.0.2"}, HostNetwork: true},
		{Namespace: "default", Name: "", IPs: []string{"198.18.1.9"}}, // unnamed: no name to give
	}
	svcs := []kubeproxy.Service{
		{Name: "default/web:http", VIP: a("198.18.128.10"), Port: 80},
		{Name: "default/web:alt", VIP: a("198.18.128.10"), Port: 8080},
		{Name: "default/web:http", Port: 30080, Type: kubeproxy.TypeNodePort}, // no VIP
		{Name: "", VIP: a("198.18.128.11")},                                   // IPVS: no name
	}
	want := []pcapio.Name{
		{Addr: a("198.18.1.5"), Names: []string{"web-1.default"}},
		{Addr: a("198.18.128.10"), Names: []string{"web.default.svc"}},
		{Addr: a("2002:c612::5"), Names: []string{"web-1.default"}},
	}
	got := addressNames(pods, svcs)
	if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Errorf("addressNames (-want +got):\n%s", diff)
	}
}

func TestCaptureAttributeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"capture", "-i", "lo", "--attribute", "-w", "/nonexistent/x.pcap"}, // pcap has no comments
		{"capture", "-i", "lo", "--attribute"},                              // text without -v
		{"capture", "-i", "lo", "--attribute-all", "-c", "1"},
	} {
		if code, _, stderr := run(t, "", args...); code != ExitUsage || !strings.Contains(stderr, "--attribute") {
			t.Errorf("%v: exit %d (%s), want %d naming --attribute", args, code, stderr, ExitUsage)
		}
	}
}
