package counters

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/internal/testlab/socklab"
)

// TestReadCountersMatchesNstat compares with nstat -az and netstat -s in the
// same netns after real traffic (connections into a listener that is never
// accepted).
func TestReadCountersMatchesNstat(t *testing.T) {
	testlab.RequireTool(t, "nstat", "netstat")
	l := socklab.New(t)
	// No IPv6 in either test netns: router solicitations and MLD reports would
	// move the Ip6/Icmp6 counters between the two reads.
	for _, ns := range []string{l.Client, l.Server} {
		testlab.InNetNS(t, ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	}
	srv := socklab.AddrPort("198.18.1.2:8080")
	l.Listen(t, l.ServerNS, srv, 1)
	// More connections than the backlog holds: the extra SYNs overflow it.
	for i := 0; i < 4; i++ {
		l.ConnectNB(t, l.ClientNS, srv)
	}
	// Wait (bounded) until the server has counted the handshakes; the first
	// SYNs may need a retransmit while the veth comes up.
	for i := 0; i < 50; i++ {
		cs, err := Read(l.ServerNS)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := cs.Get("TcpExtListenOverflows"); v > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// nstat keeps history in a file; --ignore and -a give absolute values.
	out := testlab.InNetNS(t, l.Server, "nstat", "-az", "--ignore")
	netstat := testlab.InNetNS(t, l.Server, "netstat", "-s")
	cs, err := Read(l.ServerNS)
	if err != nil {
		t.Fatal(err)
	}
	got := cs.Map()
	checked := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		want, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		v, ok := got[f[0]]
		if !ok {
			t.Errorf("nstat shows %s, netdiag does not", f[0])
			continue
		}
		if v != want && !moving(f[0]) {
			t.Errorf("%s: nstat %d, netdiag %d", f[0], want, v)
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("compared only %d counters", checked)
	}
	// netstat -s names some counters and describes the others.
	seen := map[string]bool{}
	for name, want := range parseNetstatS(netstat) {
		seen[name] = true
		v, ok := got[name]
		if !ok {
			t.Errorf("netstat -s shows %s, netdiag does not", name)
		} else if v != int64(want) && !moving(name) {
			t.Errorf("%s: netstat -s %d, netdiag %d", name, want, v)
		}
	}
	for _, name := range []string{"IpInReceives", "IcmpInMsgs", "TcpPassiveOpens", "TcpInSegs", "UdpNoPorts", "TcpExtListenOverflows", "TcpExtListenDrops", "IpExtInOctets"} {
		if !seen[name] {
			t.Errorf("netstat -s comparison did not reach %s:\n%s", name, netstat)
		}
	}
	t.Logf("PassiveOpens %d ActiveOpens %d ListenOverflows %d ListenDrops %d InSegs %d", got["TcpPassiveOpens"], got["TcpActiveOpens"], got["TcpExtListenOverflows"], got["TcpExtListenDrops"], got["TcpInSegs"])
	if got["TcpPassiveOpens"] < 1 || got["TcpExtListenOverflows"] < 1 {
		t.Errorf("want the lab's handshakes and backlog overflows counted")
	}
}

// moving reports whether a counter of the quiet lab may still move between
// two reads: the SYN retransmits toward the full listener and what they
// count.
func moving(name string) bool {
	for _, w := range []string{"Retrans", "Segs", "Octets", "Pkts", "Receives", "Delivers", "Requests", "Transmits", "Listen", "Timeouts", "SYN"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// netstatText maps net-tools' descriptions in `netstat -s` (statistics.c)
// to the counters they print, per section.
var netstatText = map[string]map[string]string{
	"Ip": {"total packets received": "InReceives", "with invalid headers": "InHdrErrors", "with invalid addresses": "InAddrErrors",
		"forwarded": "ForwDatagrams", "with unknown protocol": "InUnknownProtos", "incoming packets discarded": "InDiscards",
		"incoming packets delivered": "InDelivers", "requests sent out": "OutRequests", "outgoing packets dropped": "OutDiscards",
		"dropped because of missing route": "OutNoRoutes"},
	"Icmp": {"ICMP messages received": "InMsgs", "input ICMP message failed": "InErrors", "ICMP messages sent": "OutMsgs",
		"ICMP messages failed": "OutErrors"},
	"Tcp": {"active connection openings": "ActiveOpens", "passive connection openings": "PassiveOpens",
		"failed connection attempts": "AttemptFails", "connection resets received": "EstabResets",
		"connections established": "CurrEstab", "segments received": "InSegs", "segments sent out": "OutSegs",
		"segments retransmitted": "RetransSegs", "bad segments received": "InErrs", "resets sent": "OutRsts"},
	"Udp": {"packets received": "InDatagrams", "packets to unknown port received": "NoPorts", "packet receive errors": "InErrors",
		"packets sent": "OutDatagrams", "receive buffer errors": "RcvbufErrors", "send buffer errors": "SndbufErrors"},
	"TcpExt": {"times the listen queue of a socket overflowed": "ListenOverflows", "SYNs to LISTEN sockets dropped": "ListenDrops",
		"passive connections rejected because of time stamp": "PAWSPassive", "active connections rejected because of time stamp": "PAWSActive",
		"packet headers predicted": "TCPHPHits", "delayed acks sent": "DelayedACKs"},
}

// parseNetstatS reads `netstat -s`: "Name: N" lines name their counter,
// "N description" lines are looked up in netstatText; histogram lines and
// unknown descriptions are left out.
func parseNetstatS(out string) map[string]uint64 {
	m := map[string]uint64{}
	section := ""
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, " ") {
			section = strings.TrimSuffix(strings.TrimSpace(line), ":")
			continue
		}
		if strings.HasPrefix(line, "        ") && section != "IcmpMsg" {
			continue // ICMP histograms: names of their own
		}
		text := strings.TrimSpace(line)
		if name, v, ok := strings.Cut(text, ": "); ok && !strings.Contains(name, " ") {
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				m[section+name] = n
			}
			continue
		}
		num, desc, ok := strings.Cut(text, " ")
		n, err := strconv.ParseUint(num, 10, 64)
		if !ok || err != nil {
			continue
		}
		if name, ok := netstatText[section][desc]; ok {
			m[section+name] = n
		}
	}
	return m
}
