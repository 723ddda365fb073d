package cli

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/kubeproxy"
)

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"netdiag"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// kpNode is a lab node netns holding kube-proxy's iptables rules (loaded
// with iptables-restore, so in the nft backend here) and, when legacy is
// set, one rule in the legacy backend too.
func kpNode(t *testing.T, legacy bool) string {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables-restore", "iptables-legacy")
	n := testlab.NewNetNS(t)
	cmd := exec.Command("ip", "netns", "exec", n, "iptables-restore")
	cmd.Stdin = strings.NewReader(kpgen.IPTables(kpgen.LabConfig(), kpgen.LabServices(netip.MustParseAddr("198.18.0.6"))))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("iptables-restore: %v\n%s", err, out)
	}
	if legacy {
		testlab.InNetNS(t, n, "iptables-legacy", "-t", "filter", "-A", "INPUT", "-s", "198.18.9.9/32", "-j", "DROP")
	}
	return n
}

func TestServicesCommand(t *testing.T) {
	n := kpNode(t, false)
	code, out, errs := runMain(t, "--node-netns", testlab.NetNSPath(n), "--host-root", "/", "-o", "json", "services", "198.18.200.20:9000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res kubeproxy.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if res.Mode != kubeproxy.ModeIPTables || len(res.Services) != 1 || res.Services[0].Name != "shop/cart:grpc" || len(res.Services[0].Endpoints) != 4 {
		t.Errorf("services 198.18.200.20:9000 = %+v, want shop/cart:grpc with 4 endpoints in iptables mode", res)
	}
	code, out, _ = runMain(t, "--node-netns", testlab.NetNSPath(n), "--host-root", "/", "services")
	if code != 0 || !strings.Contains(out, "kube-system/kube-dns:dns") || !strings.Contains(out, "shop/empty:http") {
		t.Errorf("services table (exit %d):\n%s", code, out)
	}
}

func TestServicesBadVIP(t *testing.T) {
	for _, arg := range []string{"198.18.200", "web:80", "198.18.200.1:70000"} {
		code, _, errs := runMain(t, "services", arg)
		if code != ExitUsage || !strings.Contains(errs, "malformed VIP") {
			t.Errorf("services %s: exit %d, stderr %q; want exit 2 naming the malformed VIP", arg, code, errs)
		}
	}
}

func TestIPTablesCommand(t *testing.T) {
	n := kpNode(t, true)
	ns := testlab.NetNSPath(n)
	code, out, errs := runMain(t, "--node-netns", ns, "--host-root", "/", "iptables", "-t", "nat", "--chain", "KUBE-SERVICES")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "rules in both iptables backends") || !strings.Contains(out, "-A KUBE-SERVICES -d 198.18.200.10/32") {
		t.Errorf("iptables output does not show both backends or the service rule:\n%s", out)
	}
	// The same rules as iptables-nft-save prints, counters and all.
	want := testlab.InNetNS(t, n, "iptables-nft-save", "-c", "-t", "nat")
	for _, line := range strings.Split(want, "\n") {
		if strings.Contains(line, "-A KUBE-SERVICES ") && !strings.Contains(out, line) {
			t.Errorf("netdiag lacks iptables-save line %q", line)
		}
	}
	code, _, errs = runMain(t, "--node-netns", ns, "iptables", "-t", "bogus")
	if code != ExitUsage || !strings.Contains(errs, `unknown iptables table "bogus"`) {
		t.Errorf("unknown table: exit %d, %q", code, errs)
	}
	code, _, errs = runMain(t, "--node-netns", ns, "--host-root", "/", "iptables", "-t", "nat", "--chain", "NO-SUCH-CHAIN")
	if code != ExitError || !strings.Contains(errs, `no iptables chain "NO-SUCH-CHAIN"`) {
		t.Errorf("unknown chain: exit %d, %q", code, errs)
	}
}

func TestNFTAndIPVSCommands(t *testing.T) {
	n := kpNode(t, false)
	ns := testlab.NetNSPath(n)
	code, _, errs := runMain(t, "--node-netns", ns, "nft", "--table", "ip nosuch")
	if code != ExitError || !strings.Contains(errs, `no nftables table "ip nosuch"`) {
		t.Errorf("nft unknown table: exit %d, %q", code, errs)
	}
	code, out, errs := runMain(t, "--node-netns", ns, "nft", "--table", "ip nat")
	if code != 0 || !strings.Contains(out, "table ip nat {") {
		t.Errorf("nft --table 'ip nat': exit %d %s\n%s", code, errs, out)
	}
	code, out, errs = runMain(t, "--node-netns", ns, "ipvs")
	if code != 0 || strings.TrimSpace(out) != "IPVS is not loaded on this node" {
		t.Errorf("ipvs on a kernel without IPVS: exit %d, out %q, err %q", code, out, errs)
	}
}

// TestIPv6IPTablesAndServices: with ip6tables rules beside the iptables
// ones, `iptables -6` prints what ip6tables-nft-save prints and `services`
// lists the IPv6 frontends too.
func TestIPv6IPTablesAndServices(t *testing.T) {
	n := kpNode(t, false)
	testlab.RequireTool(t, "ip6tables-restore", "ip6tables-nft-save")
	cfg6, v6 := kpgen.IPv6(kpgen.LabConfig(), kpgen.LabServices(netip.MustParseAddr("198.18.0.6")))
	cmd := exec.Command("ip", "netns", "exec", n, "ip6tables-restore")
	cmd.Stdin = strings.NewReader(kpgen.IPTables(cfg6, v6))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ip6tables-restore: %v\n%s", err, out)
	}
	ns := testlab.NetNSPath(n)
	code, out, errs := runMain(t, "--node-netns", ns, "--host-root", "/", "iptables", "-6", "-t", "nat")
	if code != 0 {
		t.Fatalf("iptables -6: exit %d: %s", code, errs)
	}
	want := testlab.InNetNS(t, n, "ip6tables-nft-save", "-c", "-t", "nat")
	rules := 0
	for _, line := range strings.Split(want, "\n") {
		if strings.HasPrefix(line, "-A ") || strings.HasPrefix(line, "[") {
			rules++
			if !strings.Contains(out, line+"\n") {
				t.Errorf("netdiag iptables -6 lacks ip6tables-save line %q", line)
			}
		}
	}
	if rules < 20 || strings.Contains(out, "198.18.") {
		t.Errorf("iptables -6 shows %d rules or IPv4 ones:\n%s", rules, out)
	}
	code, out, errs = runMain(t, "--node-netns", ns, "--host-root", "/", "services", "[64:ff9b::c612:c814]:9000")
	if code != 0 || !strings.Contains(out, "shop/cart:grpc") || !strings.Contains(out, "[64:ff9b::c612:121]:9000") {
		t.Errorf("services [64:ff9b::c612:c814]:9000 (exit %d, %s):\n%s", code, errs, out)
	}
}
