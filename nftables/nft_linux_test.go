package nftables

import (
	"bytes"
	"net/netip"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

func labNS(t testing.TB) (string, *nsutil.NetNS) {
	t.Helper()
	n := testlab.NewNetNS(t)
	ns, err := nsutil.Open(testlab.NetNSPath(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return n, ns
}

func labServices() []kpgen.Service { return kpgen.LabServices(netip.MustParseAddr("198.18.0.6")) }

// normalizeNFT turns `nft list ruleset` text into one line per statement with
// set elements listed one per line, so line wrapping does not matter.
func normalizeNFT(s string) []string {
	s = regexp.MustCompile(`,\n\s+`).ReplaceAllString(s, ", ")
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "elements = { "); ok {
			rest = strings.TrimSuffix(rest, " }")
			for _, e := range strings.Split(rest, ", ") {
				out = append(out, "element "+e)
			}
			continue
		}
		out = append(out, l)
	}
	return out
}

func TestNFTAgreesWithNft(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft")
	n, ns := labNS(t)
	cmd := exec.Command("ip", "netns", "exec", n, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(kpgen.NFTables(kpgen.LabConfig(), labServices()))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s", err, out)
	}
	// A second table with other statement kinds.
	cmd = exec.Command("ip", "netns", "exec", n, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(`table ip t {
 set a { type inet_service; elements = { 1, 2, 3, 1000, 30000 } }
 set b { type ipv4_addr; flags interval; elements = { 198.18.0.0/16, 198.19.1.2, 198.19.5.5-198.19.5.9 } }
 chain x { type filter hook input priority filter + 5; policy drop;
  ip saddr { 198.18.0.0/16, 198.19.1.0/24 } tcp dport { 80, 443 } accept
  ip saddr 198.19.3.0/25 counter
  meta l4proto tcp ip daddr 198.19.1.1 tcp dport 53 accept
  ct state established,related accept
  iifname "lo" oifname != "lo" drop
  udp sport 53 ip saddr @b accept
 }
 chain y { type nat hook postrouting priority srcnat; ip saddr 198.18.0.0/15 masquerade random; }
 chain z { type nat hook prerouting priority dstnat; ip daddr 198.19.9.9 tcp dport 80 dnat to 198.18.0.1:8080; }
}`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s", err, out)
	}
	want := testlab.InNetNS(t, n, "nft", "list", "ruleset")
	rs, err := Dump(ns, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := rs.WriteText(&got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(normalizeNFT(want), normalizeNFT(got.String())); diff != "" {
		t.Errorf("netdiag nft vs nft list ruleset (-want +got):\n%s", diff)
	}
	if _, err := Dump(ns, "ip", "no-such-table"); err == nil || !strings.Contains(err.Error(), "no such nftables table") {
		t.Errorf("Dump of a missing table: %v", err)
	}
}

// FuzzParseNFTMessages feeds arbitrary bytes to the nf_tables message
// decoders: they must return errors, never panic.
func FuzzParseNFTMessages(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 8, 0, 1, 0, 'n', 'a', 't', 0})
	f.Add([]byte{2, 0, 0, 0, 12, 0, 4, 0, 8, 0, 1, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		parseNFTTable(b)
		parseNFTChain(b)
		s, _, _ := parseNFTSet(b)
		parseNFTElements(b, &s)
		s.finish()
		if r, err := parseNFTRule(b); err == nil {
			renderNFTRule("ip", map[string]*Set{}, r)
		}
	})
}
