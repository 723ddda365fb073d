package netstate

import (
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
	cs, err := ReadCountersDir("testdata/proc_net_counters")
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
		if _, err := ParseCounterTable([]byte(in)); err == nil {
			t.Errorf("ParseCounterTable(%q) accepted", in)
		}
	}
	if _, err := ParseCounterList([]byte("Ip6InReceives 1 2\n")); err == nil {
		t.Error("ParseCounterList accepted three fields")
	}
}

func TestCounterDelta(t *testing.T) {
	before := Counters{{"A", 1}, {"B", 5}}
	after := Counters{{"A", 4}, {"B", 5}, {"C", 2}}
	want := Counters{{"A", 3}, {"B", 0}, {"C", 2}}
	if diff := cmp.Diff(want, CounterDelta(before, after)); diff != "" {
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
		if cs, err := ParseCounterTable(b); err != nil && cs != nil {
			t.Fatal("error with a result")
		}
		if cs, err := ParseCounterList(b); err != nil && cs != nil {
			t.Fatal("error with a result")
		}
	})
}

// TestReadCountersMatchesNstat compares with nstat -az in the same netns
// after real traffic (connections into a listener that is never accepted).
func TestReadCountersMatchesNstat(t *testing.T) {
	testlab.RequireTool(t, "nstat")
	l := newSockLab(t)
	// No IPv6 in either test netns: router solicitations and MLD reports would
	// move the Ip6/Icmp6 counters between the two reads.
	for _, ns := range []string{l.client, l.server} {
		testlab.InNetNS(t, ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	}
	srv := netipMust("198.18.1.2:8080")
	l.listen(t, l.serverNS, srv, 1)
	// More connections than the backlog holds: the extra SYNs overflow it.
	for i := 0; i < 4; i++ {
		l.connectNB(t, l.clientNS, srv)
	}
	// Wait (bounded) until the server has counted the handshakes; the first
	// SYNs may need a retransmit while the veth comes up.
	for i := 0; i < 50; i++ {
		cs, err := ReadCounters(l.serverNS)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := cs.Get("TcpExtListenOverflows"); v > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// nstat keeps history in a file; --ignore and -a give absolute values.
	out := testlab.InNetNS(t, l.server, "nstat", "-az", "--ignore")
	cs, err := ReadCounters(l.serverNS)
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
		// Traffic counters of a quiet lab do not move between the two reads,
		// except the SYN retransmits toward the full listener.
		if v != want && !strings.Contains(f[0], "Retrans") && !strings.Contains(f[0], "Segs") &&
			!strings.Contains(f[0], "Octets") && !strings.Contains(f[0], "Pkts") && !strings.Contains(f[0], "Receives") &&
			!strings.Contains(f[0], "Delivers") && !strings.Contains(f[0], "Requests") && !strings.Contains(f[0], "Transmits") &&
			!strings.Contains(f[0], "Listen") && !strings.Contains(f[0], "Timeouts") && !strings.Contains(f[0], "SYN") {
			t.Errorf("%s: nstat %d, netdiag %d", f[0], want, v)
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("compared only %d counters", checked)
	}
	t.Logf("PassiveOpens %d ActiveOpens %d ListenOverflows %d ListenDrops %d InSegs %d", got["TcpPassiveOpens"], got["TcpActiveOpens"], got["TcpExtListenOverflows"], got["TcpExtListenDrops"], got["TcpInSegs"])
	if got["TcpPassiveOpens"] < 1 || got["TcpExtListenOverflows"] < 1 {
		t.Errorf("want the lab's handshakes and backlog overflows counted")
	}
}
