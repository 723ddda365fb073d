package dropmon

import (
	"context"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeSource hands over a fixed list of drops on the first poll.
type fakeSource struct {
	drops  []Drop
	lost   uint64
	polled int
	closed bool
}

func (f *fakeSource) poll(timeout time.Duration, fn func(Drop)) (uint64, error) {
	f.polled++
	if f.polled > 1 {
		return 0, nil
	}
	for _, d := range f.drops {
		fn(d)
	}
	return f.lost, nil
}

func (f *fakeSource) close() error { f.closed = true; return nil }

func testMonitor(t *testing.T, src source, reasons []string, addrs []netip.Addr) *Monitor {
	t.Helper()
	f := readFormat(t, "kfree_skb_format_6.18.txt")
	rs, err := reasonSet(f, reasons)
	if err != nil {
		t.Fatal(err)
	}
	m := &Monitor{src: src, name: SourceTracepoint, format: f, reasons: rs, syms: Symbols{Path: "testdata/kallsyms_6.18.txt"}}
	if len(addrs) > 0 {
		m.addrs = map[netip.Addr]bool{}
		for _, a := range addrs {
			m.addrs[a] = true
		}
	}
	return m
}

func TestSampleCounts(t *testing.T) {
	src := &fakeSource{lost: 3}
	for range 5 {
		src.drops = append(src.drops, Drop{Reason: 12, Location: 0xffffffff81fbee6f, Protocol: 0x0800})
	}
	for range 2 {
		src.drops = append(src.drops, Drop{Reason: 12, Location: 0xffffffff81f8268d, Protocol: 0x0800})
	}
	src.drops = append(src.drops,
		Drop{Reason: 58, Location: 0xffffffff81ec58fe, Protocol: 0x0800},
		Drop{Reason: 58, Location: 0xffffffff81ec58fe, Protocol: 0x0800},
		Drop{Reason: 2, Location: 0x10, Protocol: 0}, // an address kallsyms does not name
	)
	m := testMonitor(t, src, nil, nil)
	rep, err := m.Sample(context.Background(), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	want := []Count{
		{Reason: "NETFILTER_DROP", Function: "nft_do_chain", Location: "nft_do_chain+0x46f/0x690", Protocol: "ipv4", Count: 5},
		{Reason: "NEIGH_FAILED", Function: "neigh_invalidate", Location: "neigh_invalidate+0x7e/0x140", Protocol: "ipv4", Count: 2},
		{Reason: "NETFILTER_DROP", Function: "nf_hook_slow", Location: "nf_hook_slow+0x7d/0x110", Protocol: "ipv4", Count: 2},
		{Reason: "NOT_SPECIFIED", Function: "0x10", Location: "0x10", Protocol: "none", Count: 1},
	}
	if diff := cmp.Diff(want, rep.Counts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rep.Total != 10 || rep.Lost != 3 || rep.Source != SourceTracepoint {
		t.Errorf("total %d lost %d source %q", rep.Total, rep.Lost, rep.Source)
	}
	if err := m.Close(); err != nil || !src.closed {
		t.Errorf("Close: %v, closed %v", err, src.closed)
	}
}

func TestSampleReasonFilter(t *testing.T) {
	src := &fakeSource{drops: []Drop{
		{Reason: 12, Location: 0xffffffff81fbee6f, Protocol: 0x0800},
		{Reason: 16, Location: 0xffffffff820552b0, Protocol: 0x0800},
		{Reason: 88, Location: 0xffffffff8204ce30, Protocol: 0x0800},
	}}
	m := testMonitor(t, src, []string{"ip_rpfilter", "SKB_DROP_REASON_IP_INNOROUTES"}, nil)
	rep, err := m.Sample(context.Background(), time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.ByReason()
	if diff := cmp.Diff(map[string]uint64{"IP_RPFILTER": 1, "IP_INNOROUTES": 1}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := reasonSet(m.format, []string{"NO_SUCH"}); err == nil {
		t.Error("an unknown reason was accepted")
	}
	if f := kernelFilter(m.format, m.reasons); f != "reason == 16 || reason == 88" {
		t.Errorf("kernel filter %q", f)
	}
}

func TestSampleAddrFilter(t *testing.T) {
	pod := netip.MustParseAddr("198.18.1.2")
	mine := &Packet{Src: netip.MustParseAddr("198.18.1.1"), Dst: pod, Proto: "udp", DstPort: 9998}
	other := &Packet{Src: netip.MustParseAddr("198.18.9.1"), Dst: netip.MustParseAddr("198.18.9.2"), Proto: "udp"}
	src := &fakeSource{drops: []Drop{
		{ReasonName: "NETFILTER_DROP", Symbol: "nft_do_chain+0x46f/0x690", Protocol: 0x0800, Packet: mine},
		{ReasonName: "NETFILTER_DROP", Symbol: "nft_do_chain+0x46f/0x690", Protocol: 0x0800, Packet: other},
		{ReasonName: "NO_SOCKET", Symbol: "tcp_v4_rcv+0x99/0x1400", Protocol: 0x0800}, // no packet bytes
	}}
	m := testMonitor(t, src, nil, []netip.Addr{pod})
	m.name = SourceNetDM
	rep, err := m.Sample(context.Background(), time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	want := []Count{{Reason: "NETFILTER_DROP", Function: "nft_do_chain", Location: "nft_do_chain+0x46f/0x690",
		Protocol: "ipv4", Count: 1, Examples: []Packet{*mine}}}
	if diff := cmp.Diff(want, rep.Counts, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSampleStopsWithContext(t *testing.T) {
	m := testMonitor(t, &fakeSource{}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Sample(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func TestMerge(t *testing.T) {
	a := &Report{Counts: []Count{{Reason: "A", Function: "f", Protocol: "ipv4", Count: 2}}, Total: 2, Lost: 1, Duration: time.Second}
	b := &Report{Counts: []Count{{Reason: "A", Function: "f", Protocol: "ipv4", Count: 3}, {Reason: "B", Function: "g", Protocol: "ipv6", Count: 4}}, Total: 7, Duration: time.Second}
	a.Merge(b)
	want := []Count{{Reason: "A", Function: "f", Protocol: "ipv4", Count: 5}, {Reason: "B", Function: "g", Protocol: "ipv6", Count: 4}}
	if diff := cmp.Diff(want, a.Counts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if a.Total != 9 || a.Lost != 1 || a.Duration != 2*time.Second {
		t.Errorf("total %d lost %d duration %s", a.Total, a.Lost, a.Duration)
	}
}

func TestMain(m *testing.M) {
	// The NET_DM state record of tests goes to a directory of their own.
	dir, err := os.MkdirTemp("", "dropmon-test")
	if err != nil {
		panic(err)
	}
	netdmStateDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
