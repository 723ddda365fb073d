package counters

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
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
