package filter

import (
	"os/exec"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/internal/testlab"
)

// TestDumpFormatsMatchTcpdump prints libpcap's own programs with Dump and
// compares the text with what tcpdump -d and -dd print for them.
func TestDumpFormatsMatchTcpdump(t *testing.T) {
	testlab.RequireTool(t, "tcpdump")
	exprs := []string{
		"tcp port 80", "host 198.18.0.1 and not udp", "ip6 and tcp[13] & 2 != 0", "vlan 10 and ip",
		"inbound", "ifindex 3", "len > 100 or less 40", "ip[2:2] * 4 / 3 - 1 > ip[0] % 7 ^ 3",
		"ether[0] << 2 >> 1 = 4 or ether[1] | 0x80 = 0x81", "icmp[icmptype] = icmp-echo",
		"ip6 net 2001:db8::/32", "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn", "-1 = ip[0]",
		"mpls 100 and ip", "pppoes 0x11 and udp", "ip proto 17 or outbound",
	}
	run := func(args ...string) string {
		out, err := exec.Command("tcpdump", args...).Output()
		if err != nil {
			return "error: " + err.Error()
		}
		return string(out)
	}
	for _, lt := range allLinkTypes {
		for _, e := range exprs {
			ddd := run("-ddd", "-y", lt.String(), "--", e)
			if strings.HasPrefix(ddd, "error") {
				continue
			}
			prog, err := ParseDDD(ddd)
			if err != nil {
				t.Fatalf("%s %q: %v", lt, e, err)
			}
			for _, f := range []struct {
				flag string
				fmt  DumpFormat
			}{{"-d", DumpAsm}, {"-dd", DumpC}, {"-ddd", DumpDecimal}} {
				var sb strings.Builder
				if err := Dump(&sb, prog, f.fmt); err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(run(f.flag, "-y", lt.String(), "--", e), sb.String()); diff != "" {
					t.Errorf("%s %s %q (-tcpdump +netdiag):\n%s", lt, f.flag, e, diff)
				}
			}
		}
	}
}
