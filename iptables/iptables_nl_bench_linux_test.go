package iptables

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/internal/testlab"
)

// BenchmarkIPTablesNFTRead loads kube-proxy's rules for 5,000 services and
// 20,000 endpoints (about 71,500 rules in filter and nat, nearly all in nat)
// into a netns of its own and times, side by side on that netns:
//
//   - netlink: Read, the reader `netdiag services` uses;
//   - iptables-nft-save: the binary alone, then ParseSave;
//   - netdiag-services: `$NETDIAG_BENCH_BIN services -o json` end to end,
//     when NETDIAG_BENCH_BIN names a built netdiag.
//
// scripts/bench.sh services runs it; see docs/bench/services.md.
func BenchmarkIPTablesNFTRead(b *testing.B) {
	testlab.RequireRoot(b)
	testlab.RequireTool(b, "iptables-nft-restore", "iptables-nft-save")
	n := testlab.NewNetNS(b)
	cmd := exec.Command("ip", "netns", "exec", n, "iptables-nft-restore")
	cmd.Stdin = strings.NewReader(kpgen.IPTables(kpgen.LabConfig(), kpgen.Synthetic(5000, 20000)))
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("iptables-nft-restore: %v\n%s", err, out)
	}
	ns := openNS(b, n)
	b.Run("netlink", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rs, err := Read(ns, false)
			if err != nil {
				b.Fatal(err)
			}
			if n := rs.RuleCount(); n < 70000 {
				b.Fatalf("read %d rules, want about 71,500", n)
			}
		}
	})
	b.Run("iptables-nft-save", func(b *testing.B) {
		for b.Loop() {
			out, err := exec.Command("ip", "netns", "exec", n, "iptables-nft-save", "-c").Output()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ParseSave(bytes.NewReader(out)); err != nil {
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
			out, err := exec.Command(bin, "--node-netns", testlab.NetNSPath(n), "--host-root", "/", "-o", "json", "services").Output()
			if err != nil {
				b.Fatal(err)
			}
			if !bytes.Contains(out, []byte(`"mode":"iptables"`)) && !bytes.Contains(out, []byte(`"mode": "iptables"`)) {
				b.Fatalf("services did not use iptables mode: %.200s", out)
			}
		}
	})
}
