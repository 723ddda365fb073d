package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/kubeproxy"
)

// A node without any iptables binary (kube-proxy brings its own in its
// image): services and iptables still work through the netlink reader.
func TestServicesWithoutIPTablesBinary(t *testing.T) {
	n := kpNode(t, false)
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	code, out, errs := runMain(t, "--node-netns", testlab.NetNSPath(n), "--host-root", empty, "-o", "json", "services", "198.18.200.20:9000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res kubeproxy.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if res.Mode != kubeproxy.ModeIPTables || len(res.Services) != 1 || len(res.Services[0].Endpoints) != 4 {
		t.Errorf("services without iptables binaries = %+v, want shop/cart:grpc with 4 endpoints", res)
	}
	code, out, errs = runMain(t, "--node-netns", testlab.NetNSPath(n), "--host-root", empty, "iptables", "-t", "nat", "--chain", "KUBE-SERVICES")
	if code != 0 || !strings.Contains(out, "nft backend read over netlink") || !strings.Contains(out, "-A KUBE-SERVICES -d 198.18.200.10/32") {
		t.Errorf("iptables without binaries: exit %d %s\n%s", code, errs, out)
	}
	// The support bundle carries the same text.
	code, out, errs = runMain(t, "--node-netns", testlab.NetNSPath(n), "--host-root", empty, "bundle", "-w", "-", "--max-size", "4MiB")
	if code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, errs)
	}
	files, _ := untar(t, []byte(out))
	if got := string(files["node/iptables-nft.txt"]); !strings.Contains(got, "-A KUBE-SERVICES -d 198.18.200.10/32") {
		t.Errorf("bundle without binaries: node/iptables-nft.txt is %q", got)
	}
}
