package conntrack

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/internal/testlab/socklab"
)

func u16(v uint16) *uint16 { return &v }

func TestConntrackDNATEntry(t *testing.T) {
	l := socklab.NewNAT(t)
	var dnat []Entry
	err := Dump(l.ClientNS, Filter{OrigDst: netip.PrefixFrom(l.VIP.Addr(), 32)}, func(e Entry) error {
		dnat = append(dnat, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dnat) != 1 {
		t.Fatalf("got %d entries to the VIP, want 1", len(dnat))
	}
	e := dnat[0]
	if e.Reply.Src != l.Backend.Addr() || e.Reply.SrcPort != l.Backend.Port() || e.Status&DstNAT == 0 {
		t.Errorf("DNAT entry %s: want reply source %s and the DST_NAT bit", e.String(), l.Backend)
	}
}

func TestConntrackStatsMatchConntrackS(t *testing.T) {
	l := socklab.NewNAT(t)
	st, err := ReadStats(l.ClientNS)
	if err != nil {
		t.Fatal(err)
	}
	out := testlab.InNetNS(t, l.Client, "conntrack", "-S")
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		want = append(want, strings.Join(strings.Fields(line), " "))
	}
	var got []string
	for _, c := range st.CPUs {
		f := []string{"cpu=" + itoa(c.CPU)}
		for _, v := range c.Values {
			f = append(f, v.Name+"="+itoa(int(v.Value)))
		}
		got = append(got, strings.Join(f, " "))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("differs from conntrack -S (-want +got):\n%s", diff)
	}
	count := strings.TrimSpace(testlab.InNetNS(t, l.Client, "conntrack", "-C"))
	if itoa(int(st.Count)) != count {
		t.Errorf("count = %d, conntrack -C says %s", st.Count, count)
	}
	if !st.HasMax || st.Max == 0 {
		t.Errorf("max not read: %+v", st)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestConntrackDelete(t *testing.T) {
	l := socklab.NewNAT(t)
	filter := Filter{Proto: 17, OrigDport: u16(5353)}
	var victims []Entry
	if err := Dump(l.ClientNS, filter, func(e Entry) error {
		victims = append(victims, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(victims) != 1 {
		t.Fatalf("want 1 entry to delete, got %d", len(victims))
	}
	// The tool's own line for the victim, so that this test needs no renderer.
	gone := l.ConntrackLines(t, "-L", "-p", "udp", "--dport", "5353")
	if len(gone) != 1 {
		t.Fatalf("conntrack -L shows %d entries to port 5353, want 1: %q", len(gone), gone)
	}
	before := l.ConntrackLines(t, "-L")
	res, err := Delete(l.ClientNS, victims)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Gone {
		t.Fatalf("delete result %+v, want one deleted entry", res)
	}
	after := l.ConntrackLines(t, "-L")
	var want []string
	for _, b := range before {
		if b != gone[0] {
			want = append(want, b)
		}
	}
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("table after delete (-want +got):\n%s", diff)
	}
	// Deleting again finds it gone, which is not an error.
	res, err = Delete(l.ClientNS, victims)
	if err != nil || len(res) != 1 || !res[0].Gone {
		t.Errorf("second delete = %+v, %v; want gone", res, err)
	}
}
