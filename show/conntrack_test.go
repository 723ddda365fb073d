package show

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/conntrack"
)

// TestAppendConntrack prints entries in the layout of conntrack -L
// (libnetfilter_conntrack's default format); TestAppendConntrackMatchesConntrackL
// compares with the tool itself.
func TestAppendConntrack(t *testing.T) {
	a := netip.MustParseAddr
	tcp := conntrack.Entry{Family: 2, Proto: 6, Timeout: 431999, HasTimeout: true, State: 3, HasState: true,
		Orig:   conntrack.Tuple{Src: a("198.18.1.1"), Dst: a("198.18.99.1"), SrcPort: 41000, DstPort: 80, HasPorts: true},
		Reply:  conntrack.Tuple{Src: a("198.18.1.2"), Dst: a("198.18.1.1"), SrcPort: 8080, DstPort: 41000, HasPorts: true},
		Status: conntrack.SeenReply | conntrack.Assured, HasStatus: true, Mark: 0, HasMark: true, Use: 1, HasUse: true}
	udp := conntrack.Entry{Family: 2, Proto: 17, Timeout: 29, HasTimeout: true,
		Orig:      conntrack.Tuple{Src: a("198.18.1.1"), Dst: a("198.18.1.2"), SrcPort: 40000, DstPort: 5353, HasPorts: true, Packets: 1, Bytes: 29, HasCounters: true},
		Reply:     conntrack.Tuple{Src: a("198.18.1.2"), Dst: a("198.18.1.1"), SrcPort: 5353, DstPort: 40000, HasPorts: true, Packets: 0, Bytes: 0, HasCounters: true},
		HasStatus: true, Mark: 16384, HasMark: true, Zone: 3, HasZone: true, Use: 1, HasUse: true}
	icmp := conntrack.Entry{Family: 2, Proto: 1, Timeout: 29, HasTimeout: true,
		Orig:   conntrack.Tuple{Src: a("198.18.1.1"), Dst: a("198.18.1.2"), ICMPType: 8, ICMPID: 0x1234, HasICMP: true},
		Reply:  conntrack.Tuple{Src: a("198.18.1.2"), Dst: a("198.18.1.1"), ICMPType: 0, ICMPID: 0x1234, HasICMP: true},
		Status: conntrack.SeenReply, HasStatus: true, Mark: 0, HasMark: true, Use: 1, HasUse: true}
	for _, tc := range []struct {
		e    *conntrack.Entry
		want string
	}{
		{&tcp, "tcp      6 431999 ESTABLISHED src=198.18.1.1 dst=198.18.99.1 sport=41000 dport=80 src=198.18.1.2 dst=198.18.1.1 sport=8080 dport=41000 [ASSURED] mark=0 use=1"},
		{&udp, "udp      17 29 src=198.18.1.1 dst=198.18.1.2 sport=40000 dport=5353 packets=1 bytes=29 [UNREPLIED] src=198.18.1.2 dst=198.18.1.1 sport=5353 dport=40000 packets=0 bytes=0 mark=16384 zone=3 use=1"},
		{&icmp, "icmp     1 29 src=198.18.1.1 dst=198.18.1.2 type=8 code=0 id=4660 src=198.18.1.2 dst=198.18.1.1 type=0 code=0 id=4660 mark=0 use=1"},
	} {
		if diff := cmp.Diff(tc.want, string(AppendConntrack(nil, tc.e))); diff != "" {
			t.Errorf("conntrack -L line (-want +got):\n%s", diff)
		}
	}
	ev := conntrack.Event{Type: "NEW", Entry: icmp}
	want := "    [NEW] icmp     1 29 src=198.18.1.1 dst=198.18.1.2 type=8 code=0 id=4660 src=198.18.1.2 dst=198.18.1.1 type=0 code=0 id=4660 mark=0 use=1"
	if diff := cmp.Diff(want, string(AppendConntrackEvent(nil, &ev))); diff != "" {
		t.Errorf("conntrack -E line (-want +got):\n%s", diff)
	}
}
