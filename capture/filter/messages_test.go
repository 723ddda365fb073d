package filter

import (
	"errors"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestDifferentialMessages holds refusals to libpcap's own message where
// libpcap 1.10 refuses for a reason a user acts on: a qualifier that does
// not fit the address, an address or port out of range, a keyword of
// another link type, `gateway`.
func TestDifferentialMessages(t *testing.T) {
	testlab.RequireTool(t, "tcpdump")
	exprs := []string{
		// A dotted address after port, portrange, proto or protochain.
		"port 198.18.0.1", "tcp portrange 198.18.0.1", "ip proto 198.18", "ip6 protochain 198.18.0.1",
		"decnet proto 1.2", "udp port 10.300", "icmp port 198.18.0.1",
		// Out of range.
		"ip host 300.1.2.3", "host 10.300", "tcp portrange 1000-70000", "udp portrange 99999-1",
		"ip6 host 2001:db8::198.18.0.256", "host ::ffff:1.2.999.4",
		// Wrong family or protocol for the address.
		"ip6 net 198.18.0.0/15", "ip6 host 198.18.0.1", "atalk host 2001:db8::1", "atalk net 2001:db8::/32",
		`ether proto \nosuch`, `ip proto \nosuch`, `iso proto \nosuch`, `ip6 proto \nosuch`,
		// Keywords of the SS7, ATM, pf and 802.11 link types.
		"fisu", "hlssu", "hsio 5", "oamf4sc", "vci 1", "lane", "action pass", "rulenum 1", "on eth0",
		"type mgt", "wlan subtype beacon", "direction 2",
		// ARCnet addresses, gateway.
		"link host $5", "tcp host $ab", "src $c0 or tcp",
		"gateway foo", "ip gateway foo", "gateway 198.18.0.1",
	}
	for _, lt := range []LinkType{EN10MB, LINUX_SLL2, RAW} {
		for _, expr := range exprs {
			oracle := runOracle(lt, expr)
			_, err := Compile(expr, lt, 0, HostsFile("testdata/hosts"))
			if oracle.err == "" {
				t.Errorf("%s %q: libpcap accepts; this test wants refusals", lt, expr)
				continue
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Errorf("%s %q: libpcap: %q, netdiag: %v", lt, expr, oracle.err, err)
				continue
			}
			if "tcpdump: "+fe.Msg != oracle.err {
				t.Errorf("%s %q: libpcap says %q, netdiag %q", lt, expr, oracle.err, fe.Msg)
			}
		}
	}
}
