package iptables

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// restoreRules loads iptables-restore input into the netns n with bin
// (iptables-nft-restore or ip6tables-nft-restore).
func restoreRules(t *testing.T, n, bin, rules string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", n, bin)
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, out)
	}
}

// saveLines is iptables-save output without its comment lines (they carry
// dates) and with the counters kept.
func saveLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// compareWithSave reads the netns over netlink and compares WriteSave with
// the binary's output line by line.
func compareWithSave(t *testing.T, n string, ip6 bool) {
	t.Helper()
	ns := openNS(t, n)
	save := "iptables-nft-save"
	if ip6 {
		save = "ip6tables-nft-save"
	}
	// Read twice around the binary: counters may move in between, the
	// rules may not.
	rs, err := Read(ns, ip6)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	want := testlab.InNetNS(t, n, save, "-c")
	var got bytes.Buffer
	if err := rs.WriteSave(&got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(saveLines(want), saveLines(got.String())); diff != "" {
		t.Errorf("%s -c vs netlink reader (-want +got):\n%s", save, diff)
	}
}

func openNS(t testing.TB, n string) *nsutil.NetNS {
	t.Helper()
	ns, err := nsutil.Open(testlab.NetNSPath(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

func TestIPTablesNetlinkMatchesSave(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables-nft-restore", "iptables-nft-save", "ip6tables-nft-restore", "ip6tables-nft-save", "ping")
	all4, err := os.ReadFile("testdata/iptables/all4.rules")
	if err != nil {
		t.Fatal(err)
	}
	all6, err := os.ReadFile("testdata/iptables/all6.rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rules string
		ip6   bool
	}{
		{"all4", string(all4), false},
		{"all6", string(all6), true},
		{"kpgen-lab", kpgen.IPTables(kpgen.LabConfig(), labServices()), false},
		{"kpgen-synthetic", kpgen.IPTables(kpgen.LabConfig(), kpgen.Synthetic(50, 200)), false},
		{"faults", faultRules, false},
		{"kpgen-lab-ip6", kpgen.IPTables(kpgen.IPv6(kpgen.LabConfig(), labServices())), true},
		{"nat6", nat6Rules, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := testlab.NewNetNS(t)
			restore := "iptables-nft-restore"
			if tc.ip6 {
				restore = "ip6tables-nft-restore"
			}
			restoreRules(t, n, restore, tc.rules)
			// Packets through lo give the chains and rules non-zero counters.
			testlab.Run(t, "ip", "-n", n, "addr", "add", "198.18.0.1/32", "dev", "lo")
			_ = exec.Command("ip", "netns", "exec", n, "ping", "-c", "2", "-i", "0.2", "-W", "1", "198.18.0.1").Run()
			compareWithSave(t, n, tc.ip6)
		})
	}
}

// nat6Rules hold every form of the IPv6 NAT targets the reader translates.
const nat6Rules = `*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 64:ff9b::c612:c80a/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [64:ff9b::c612:6]:8080
-A PREROUTING -d 64:ff9b::c612:c80b/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [64:ff9b::c612:6-64:ff9b::c612:9]:8080-8090
-A PREROUTING -d 64:ff9b::c612:c80c/128 -p udp -m udp --dport 53 -j DNAT --to-destination 64:ff9b::c612:14
-A PREROUTING -d 64:ff9b::c612:c80d/128 -p tcp -m tcp --dport 81 -j DNAT --to-destination :8081
-A PREROUTING -d 64:ff9b::c612:c80e/128 -p tcp -m tcp --dport 82 -j DNAT --to-destination [64:ff9b::c612:6]:8082 --random --persistent
-A PREROUTING -p tcp -m tcp --dport 8443 -j REDIRECT --to-ports 443
-A PREROUTING -p tcp -m tcp --dport 8444 -j REDIRECT --to-ports 444-445 --random
-A POSTROUTING -s 64:ff9b::c612:0/120 -j MASQUERADE --random-fully
-A POSTROUTING -s 64:ff9b::c612:100/120 -p tcp -j MASQUERADE --to-ports 1024-2047
-A POSTROUTING -s 64:ff9b::c612:200/120 -j SNAT --to-source 64:ff9b::c612:1
-A POSTROUTING -s 64:ff9b::c612:300/120 -p udp -j SNAT --to-source [64:ff9b::c612:1-64:ff9b::c612:2]:2000-3000 --random-fully
COMMIT
`

// faultRules are the rules scripts/lib/faults.sh and checks/faults_test.go
// add besides kube-proxy's (kpgen): the overlay-blocked INPUT rule.
const faultRules = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp --dport 8472 -m comment --comment "ndlab fault overlay-blocked" -j DROP
COMMIT
`

func TestIPTablesNetlinkUntranslatable(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables-nft-restore", "ip6tables-nft-restore", "nft")
	for _, tc := range []struct {
		name, restore, rules, expr string
	}{
		{"xt match", "iptables-nft-restore", "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m iprange --src-range 198.18.0.1-198.18.0.9 -j ACCEPT\nCOMMIT\n", "match iprange"},
		{"xt target", "iptables-nft-restore", "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j TOS --set-tos 0x10\nCOMMIT\n", "target TOS"},
		{"proto from /etc/protocols", "iptables-nft-restore", "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p 47 -j ACCEPT\nCOMMIT\n", "meta l4proto"},
		{"ip6 netmap", "ip6tables-nft-restore", "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -d 64:ff9b::c612:0/120 -j NETMAP --to 64:ff9b::c613:0/120\nCOMMIT\n", "target NETMAP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := testlab.NewNetNS(t)
			restoreRules(t, n, tc.restore, tc.rules)
			_, err := Read(openNS(t, n), tc.restore == "ip6tables-nft-restore")
			if !errors.Is(err, ErrUntranslatable) || !strings.Contains(err.Error(), tc.expr) || !strings.Contains(err.Error(), "handle") {
				t.Fatalf("Read = %v, want %v naming %q and the rule handle", err, ErrUntranslatable, tc.expr)
			}
		})
	}
	// A table iptables-nft did not make: nft's own base chain in table ip filter.
	t.Run("foreign base chain", func(t *testing.T) {
		n := testlab.NewNetNS(t)
		cmd := exec.Command("ip", "netns", "exec", n, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader("table ip filter {\n chain foo {\n  type filter hook input priority 5; policy accept;\n }\n}\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nft -f: %v\n%s", err, out)
		}
		_, err := Read(openNS(t, n), false)
		if !errors.Is(err, ErrUntranslatable) {
			t.Fatalf("Read = %v, want %v", err, ErrUntranslatable)
		}
	})
	// Native nft expressions in an iptables table: nft's own rule.
	t.Run("native nft rule", func(t *testing.T) {
		n := testlab.NewNetNS(t)
		restoreRules(t, n, "iptables-nft-restore", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n")
		testlab.InNetNS(t, n, "nft", "add", "rule", "ip", "filter", "INPUT", "ct", "state", "established", "accept")
		_, err := Read(openNS(t, n), false)
		if !errors.Is(err, ErrUntranslatable) || !strings.Contains(err.Error(), "expression ct") {
			t.Fatalf("Read = %v, want %v naming expression ct", err, ErrUntranslatable)
		}
	})
}

// With no iptables binary anywhere, the nft backend is still read (over
// netlink) and the legacy backend, which has no tables, reports 0 rules.
func TestIPTablesBackendsWithoutBinaries(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables-nft-restore")
	n := testlab.NewNetNS(t)
	restoreRules(t, n, "iptables-nft-restore", kpgen.IPTables(kpgen.LabConfig(), labServices()))
	ns := openNS(t, n)
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	sts, sets, err := Backends(ns, empty)
	if err != nil {
		t.Fatal(err)
	}
	want := []BackendStatus{
		{Backend: Legacy, Source: SourceNoTables},
		{Backend: NFT, Source: SourceNetlink, Rules: sets[NFT].RuleCount()},
	}
	if diff := cmp.Diff(want, sts); diff != "" || want[1].Rules < 50 {
		t.Errorf("Backends without binaries (-want +got):\n%s", diff)
	}
	// A legacy table without the binary is an error for that backend only.
	t.Setenv("PATH", "/usr/sbin:/sbin:/usr/bin:/bin")
	if _, err := exec.LookPath("iptables-legacy"); err != nil {
		return
	}
	testlab.InNetNS(t, n, "iptables-legacy", "-A", "INPUT", "-s", "198.18.9.9/32", "-j", "DROP")
	t.Setenv("PATH", empty)
	sts, _, err = Backends(ns, empty)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sts[0].Error, "no iptables-save binary found") || sts[1].Error != "" {
		t.Errorf("legacy table without binary: %+v", sts)
	}
}
