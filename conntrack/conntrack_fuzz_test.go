package conntrack

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Seeds: a ctnetlink dump and a per-CPU stats dump recorded from the
// conntrack lab by TestWriteSeeds (kernel 6.18), plus /proc/net/stat/nf_conntrack.
func conntrackSeed(tb testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func FuzzParseConntrackDatagram(f *testing.F) {
	f.Add(conntrackSeed(f, "ctnetlink_dump.bin"))
	f.Add(conntrackSeed(f, "ctnetlink_stats_cpu.bin"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Entry
		_ = ctNlSplit(b, func(m ctNlMessage) error {
			if err := ParseMessage(m.body, &e); err == nil {
				s := e.String()
				if !strings.HasPrefix(s, ProtoName(e.Proto)) {
					t.Fatalf("line %q does not start with the protocol", s)
				}
			}
			if s, err := ParseCPUStats(m.body); err == nil && len(s.Values) > len(conntrackStatAttrNames) {
				// Duplicated attributes are kept; that is fine, but bounded by input.
				if len(s.Values)*8 > len(m.body) {
					t.Fatalf("%d values from %d bytes", len(s.Values), len(m.body))
				}
			}
			return nil
		})
	})
}

func FuzzParseConntrackProcStats(f *testing.F) {
	f.Add(conntrackSeed(f, "proc_net_stat_nf_conntrack.txt"))
	f.Add([]byte("entries found\n1 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cpus, _, err := ParseProcStats(b)
		if err != nil && cpus != nil {
			t.Fatal("error with a result")
		}
	})
}

func TestParseConntrackProcStatsSample(t *testing.T) {
	cpus, entries, err := ParseProcStats(conntrackSeed(t, "proc_net_stat_nf_conntrack.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if entries != 5 || len(cpus) != 2 {
		t.Fatalf("entries=%d cpus=%d, want 5 and 2", entries, len(cpus))
	}
	var names []string
	for _, v := range cpus[0].Values {
		names = append(names, v.Name)
	}
	if diff := cmp.Diff(StatNames, names); diff != "" {
		t.Errorf("column names (-want +got):\n%s", diff)
	}
	if _, _, err := ParseProcStats([]byte("entries found\nzz 1\n")); err == nil {
		t.Error("bad hex accepted")
	}
}

func TestParseConntrackCPUStatsSample(t *testing.T) {
	var got []CPUStats
	err := ctNlSplit(conntrackSeed(t, "ctnetlink_stats_cpu.bin"), func(m ctNlMessage) error {
		if m.typ != ctSubsys<<8|ctMsgGetStatsCPU {
			return nil
		}
		s, err := ParseCPUStats(m.body)
		got = append(got, s)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].CPU != 1 || len(got[0].Values) != len(StatNames) {
		t.Errorf("stats %+v: want 2 CPUs with all %d counters", got, len(StatNames))
	}
}

func TestConntrackFilterParsing(t *testing.T) {
	if _, err := ParseAddr("198.18.0.300"); err == nil {
		t.Error("bad IP accepted")
	}
	if p, err := ParseAddr("198.18.0.7/16"); err != nil || p.String() != "198.18.0.0/16" {
		t.Errorf("prefix = %v, %v", p, err)
	}
	if _, err := ParseState(6, "established"); err != nil {
		t.Error(err)
	}
	if _, err := ParseState(6, "BOGUS"); err == nil {
		t.Error("unknown state accepted")
	}
	if _, err := ParseState(17, "ESTABLISHED"); err == nil {
		t.Error("state for udp accepted")
	}
	if _, err := ParseProto("quic"); err == nil {
		t.Error("unknown protocol accepted")
	}
	if v, m, err := ParseMark("0x4000/0xff00"); err != nil || v != 0x4000 || m != 0xff00 {
		t.Errorf("mark = %x/%x, %v", v, m, err)
	}
}
