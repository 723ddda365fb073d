package nftrace

import (
	"bufio"
	"encoding/hex"
	"net/netip"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/nftables/expr"
)

// traceSample reads testdata/trace_kube_vip.hex: the NFT_MSG_TRACE
// messages (data after the netlink header) the kernel (6.18) sent for one
// SYN from a pod to a service VIP in TestTraceServiceVIP's lab, dropped in
// FORWARD after DNAT. The first three are of netdiag's own table.
func traceSample(t testing.TB) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/trace_kube_vip.hex")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		b, err := hex.DecodeString(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestDecodeEventSample(t *testing.T) {
	msgs := traceSample(t)
	type got struct{ Family, Table, Chain, Kind, Verdict string }
	var steps []got
	var id uint32
	for i, m := range msgs {
		e, err := DecodeEvent(m)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if i == 0 {
			id = e.ID
		}
		if e.ID != id {
			t.Errorf("message %d: id %x, want %x (one packet)", i, e.ID, id)
		}
		if e.Kind == KindRule && e.Handle == 0 && e.Table != "netdiag-trace-24709" {
			t.Errorf("message %d: rule without handle: %+v", i, e)
		}
		steps = append(steps, got{e.Family, e.Table, e.Chain, e.Kind, e.Verdict})
	}
	want := []got{
		{"inet", "netdiag-trace-24709", "prerouting", KindRule, "continue"},
		{"inet", "netdiag-trace-24709", "prerouting", KindRule, "continue"},
		{"inet", "netdiag-trace-24709", "prerouting", KindPolicy, "accept"},
		{"ip", "nat", "PREROUTING", KindRule, "jump KUBE-SERVICES"},
		{"ip", "nat", "KUBE-SERVICES", KindRule, "jump KUBE-SVC-CDGGSHYLG3RE2FKL"},
		{"ip", "nat", "KUBE-SVC-CDGGSHYLG3RE2FKL", KindRule, "jump KUBE-SEP-3NECGWKNF566U6RE"},
		{"ip", "nat", "KUBE-SEP-3NECGWKNF566U6RE", KindRule, "accept"},
		{"ip", "filter", "FORWARD", KindRule, "drop"},
	}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	pre, _ := DecodeEvent(msgs[3])
	fwd, _ := DecodeEvent(msgs[7])
	p1, ok1 := pre.Packet()
	p2, ok2 := fwd.Packet()
	if !ok1 || !ok2 || p1.Dst != netip.MustParseAddr("198.18.200.10") || p1.DstPort != 80 ||
		p2.Dst != netip.MustParseAddr("198.18.0.11") || p2.DstPort != 8080 || p1.Src != p2.Src || p1.Proto != "tcp" {
		t.Errorf("before DNAT %v, after %v", p1, p2)
	}
	if fwd.IIF == 0 || fwd.OIF == 0 || pre.NFProto != 2 {
		t.Errorf("interfaces %d/%d, nfproto %d", fwd.IIF, fwd.OIF, pre.NFProto)
	}
	var paths Paths
	for _, m := range msgs {
		e, _ := DecodeEvent(m)
		paths.Add(e, nil)
	}
	if paths.Len() != 1 || len(paths.All()[0].Steps) != len(msgs) || paths.All()[0].Packet.DstPort != 80 {
		t.Errorf("paths: %d, first %+v", paths.Len(), paths.All()[0])
	}
}

func TestDecodeEventErrors(t *testing.T) {
	msgs := traceSample(t)
	if _, err := DecodeEvent(msgs[3][:3]); err == nil {
		t.Error("a message shorter than nfgenmsg decoded")
	}
	if _, err := DecodeEvent(msgs[3][:len(msgs[3])-1]); err == nil {
		t.Error("a cut attribute decoded")
	}
	if _, err := DecodeEvent([]byte{2, 0, 0, 0}); err == nil {
		t.Error("a message without id, table and chain decoded")
	}
}

func TestFilterRules(t *testing.T) {
	v4, v6 := netip.MustParseAddr("198.18.0.10"), netip.MustParseAddr("2001:db8::10")
	rs, err := Filter{Addrs: []netip.Addr{v4, v6}, Proto: "tcp", DstPort: 80}.rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 { // from and to each address
		t.Fatalf("%d rules, want 4", len(rs))
	}
	first := rs[0]
	want := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{2}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4}, &expr.Cmp{Register: 1, Data: v4.AsSlice()},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2}, &expr.Cmp{Register: 1, Data: []byte{0, 80}},
		&expr.Immediate{Register: 1, Data: []byte{1}}, &expr.Meta{Key: expr.MetaKeyNFTRACE, SourceRegister: true, Register: 1},
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first rule (-want +got):\n%s", diff)
	}
	if p := rs[3][2].(*expr.Payload); p.Offset != 24 || p.Len != 16 {
		t.Errorf("IPv6 daddr match at %d+%d, want 24+16", p.Offset, p.Len)
	}
	// A pod's IPv6 address cannot meet an IPv4 destination: those rules go.
	rs, err = Filter{Addrs: []netip.Addr{v4, v6}, Dst: netip.MustParseAddr("198.18.200.10")}.rules()
	if err != nil || len(rs) != 2 {
		t.Errorf("got %d rules, %v; want 2", len(rs), err)
	}
	for _, bad := range []Filter{
		{Proto: "gre"},
		{DstPort: 80},
		{Proto: "icmp", DstPort: 80},
		{Src: v4, Dst: v6},
	} {
		if _, err := bad.rules(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, err := (Filter{Addrs: []netip.Addr{v6}, Dst: v4}).rules(); err == nil {
		t.Error("a filter no packet can match was accepted")
	}
}

// FuzzDecodeEvent: trace messages decode or fail; a decoded event always
// names its table and chain, and its packet decode does not panic.
func FuzzDecodeEvent(f *testing.F) {
	for _, m := range traceSample(f) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEvent(b)
		if err != nil {
			return
		}
		if e.Table == "" || e.Chain == "" || e.Kind == "" {
			t.Fatalf("decoded without table, chain or kind: %+v", e)
		}
		if p, ok := e.Packet(); ok && (!p.Src.IsValid() || !p.Dst.IsValid()) {
			t.Fatalf("packet without addresses: %+v", p)
		}
	})
}
