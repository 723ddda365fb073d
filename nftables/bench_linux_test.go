package nftables

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/internal/testlab"
)

// BenchmarkNFTDumpKubeProxy loads kube-proxy's nftables-mode table for
// 5,000 services and 20,000 endpoints (25,000 chains, 5,000 anonymous
// maps) with nft -f and times, side by side: Dump of the table, `nft list
// table ip kube-proxy`, and `$NETDIAG_BENCH_BIN services` end to end.
func BenchmarkNFTDumpKubeProxy(b *testing.B) {
	testlab.RequireRoot(b)
	testlab.RequireTool(b, "nft")
	n, ns := labNS(b)
	cmd := exec.Command("ip", "netns", "exec", n, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(kpgen.NFTables(kpgen.LabConfig(), kpgen.Synthetic(5000, 20000)))
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("nft -f: %v\n%s", err, out)
	}
	b.Run("netlink", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rs, err := Dump(ns, "ip", "kube-proxy")
			if err != nil {
				b.Fatal(err)
			}
			if c := len(rs.Tables[0].Chains); c < 25000 {
				b.Fatalf("read %d chains, want over 25,000", c)
			}
		}
	})
	b.Run("nft-list-table", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("ip", "netns", "exec", n, "nft", "list", "table", "ip", "kube-proxy").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	bin := os.Getenv("NETDIAG_BENCH_BIN")
	if bin == "" {
		return
	}
	b.Run("netdiag-services", func(b *testing.B) {
		for b.Loop() {
			out, err := exec.Command(bin, "--node-netns", testlab.NetNSPath(n), "-o", "json", "services").Output()
			if err != nil {
				b.Fatal(err)
			}
			if !bytes.Contains(out, []byte(`"mode": "nftables"`)) {
				b.Fatalf("services did not use nftables mode: %.200s", out)
			}
		}
	})
}
