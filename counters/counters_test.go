package counters

import (
	"github.com/netdiag/netdiag/internal/testlab/socklab"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/internal/testlab"
)

// testdata/proc_net_* were read from a lab netns on kernel 6.18 by TestWriteSeeds.

func TestReadCountersDirSample(t *testing.T) {
	cs, err := ReadDir("testdata/proc_net_counters")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"IpInReceives", "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtPAWSActive",
		"TcpExtTCPBacklogDrop", "TcpExtIPReversePathFilter", "Ip6InReceives", "TcpMaxConn", "IpExtInOctets"} {
		if _, ok := cs.Get(name); !ok {
			t.Errorf("no counter %s", name)
		}
	}
	if v, _ := cs.Get("TcpMaxConn"); v != -1 {
		t.Errorf("TcpMaxConn = %d, want -1", v)
	}
}

func TestParseCounterErrors(t *testing.T) {
	for _, in := range []string{
		"Ip: A B\nIp: 1\n",
		"Ip: A\nTcp: 1\n",
		"Ip: A\n",
		"Ip: A\nIp: x\n",
	} {
		if _, err := ParseTable([]byte(in)); err == nil {
			t.Errorf("ParseTable(%q) accepted", in)
		}
	}
	if _, err := ParseList([]byte("Ip6InReceives 1 2\n")); err == nil {
		t.Error("ParseList accepted three fields")
	}
}

func TestCounterDelta(t *testing.T) {
	before := List{{"A", 1}, {"B", 5}}
	after := List{{"A", 4}, {"B", 5}, {"C", 2}}
	want := List{{"A", 3}, {"B", 0}, {"C", 2}}
	if diff := cmp.Diff(want, Delta(before, after)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseCounters(f *testing.F) {
	for _, n := range []string{"snmp", "netstat", "snmp6"} {
		b, err := os.ReadFile("testdata/proc_net_counters/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if cs, err := ParseTable(b); err != nil && cs != nil {
			t.Fatal("error with a result")
		}
		if cs, err := ParseList(b); err != nil && cs != nil {
			t.Fatal("error with a result")
		}
	})
}

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
