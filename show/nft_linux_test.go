package show

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
	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/nsutil"
)

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

func TestWriteNFTAgreesWithNft(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft")
	n := testlab.NewNetNS(t)
	ns, err := nsutil.Open(testlab.NetNSPath(n))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	cmd := exec.Command("ip", "netns", "exec", n, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(kpgen.NFTables(kpgen.LabConfig(), kpgen.LabServices(netip.MustParseAddr("198.18.0.6"))))
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
	rs, err := nftables.Dump(ns, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteNFT(&got, rs); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(normalizeNFT(want), normalizeNFT(got.String())); diff != "" {
		t.Errorf("netdiag nft vs nft list ruleset (-want +got):\n%s", diff)
	}
}
