package dropmon

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"
)

// ipv4UDP is an IPv4/UDP packet 198.18.1.1:40000 > 198.18.1.2:9998.
func ipv4UDP() []byte {
	b := make([]byte, 28)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], 28)
	b[8], b[9] = 64, 17
	copy(b[12:], []byte{198, 18, 1, 1})
	copy(b[16:], []byte{198, 18, 1, 2})
	binary.BigEndian.PutUint16(b[20:], 40000)
	binary.BigEndian.PutUint16(b[22:], 9998)
	return b
}

func ethernet(proto uint16, l3 []byte) []byte {
	b := make([]byte, 14, 14+len(l3))
	copy(b, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], proto)
	return append(b, l3...)
}

// packetAlert builds a NET_DM_CMD_PACKET_ALERT body as drop_monitor.c's
// net_dm_packet_report_fill writes it (attribute order and types).
func packetAlert(reason string, payload []byte) []byte {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.NativeEndian
	ae.Uint16(netdmAttrOrigin, netdmOriginSW)
	ae.Uint64(netdmAttrPC, 0xffffffff81fbee6f)
	if reason != "" {
		ae.String(netdmAttrReason, reason)
	}
	ae.String(netdmAttrSymbol, "nft_do_chain+0x46f/0x690")
	ae.Nested(netdmAttrInPort, func(nae *netlink.AttributeEncoder) error {
		nae.Uint32(netdmPortIfindex, 7)
		return nil
	})
	ae.Uint64(netdmAttrTimestamp, uint64(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).UnixNano()))
	ae.Uint32(netdmAttrOrigLen, 42)
	ae.Uint16(netdmAttrProto, 0x0800)
	ae.Bytes(netdmAttrPayload, payload)
	b, err := ae.Encode()
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeAlert(t *testing.T) {
	payload := ethernet(0x0800, ipv4UDP())
	a, err := DecodeAlert(packetAlert("NETFILTER_DROP", payload))
	if err != nil {
		t.Fatal(err)
	}
	want := Alert{PC: 0xffffffff81fbee6f, Symbol: "nft_do_chain+0x46f/0x690", IfIndex: 7,
		Timestamp: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), OrigLen: 42, Proto: 0x0800,
		Payload: payload, Reason: "NETFILTER_DROP"}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	d := a.Drop()
	wantDrop := Drop{ReasonName: "NETFILTER_DROP", Location: 0xffffffff81fbee6f, Symbol: "nft_do_chain+0x46f/0x690",
		Protocol: 0x0800, Packet: &Packet{Src: netip.MustParseAddr("198.18.1.1"), Dst: netip.MustParseAddr("198.18.1.2"),
			Proto: "udp", SrcPort: 40000, DstPort: 9998, IfIndex: 7, Len: 42}}
	if diff := cmp.Diff(wantDrop, d, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("Drop (-want +got):\n%s", diff)
	}
	// Before Linux 5.18 there is no reason attribute.
	a, err = DecodeAlert(packetAlert("", payload))
	if err != nil || a.Drop().ReasonName != "UNKNOWN" {
		t.Errorf("alert without reason: %q, %v", a.Drop().ReasonName, err)
	}
	if _, err := DecodeAlert([]byte{8, 0, 2}); err == nil {
		t.Error("a truncated attribute decoded")
	}
}

func TestDecodePacket(t *testing.T) {
	v4 := ipv4UDP()
	tcp6 := make([]byte, 40+20)
	tcp6[0] = 0x60
	tcp6[6] = 6
	copy(tcp6[8:], netip.MustParseAddr("2001:db8::1").AsSlice())
	copy(tcp6[24:], netip.MustParseAddr("2001:db8::2").AsSlice())
	binary.BigEndian.PutUint16(tcp6[40:], 443)
	binary.BigEndian.PutUint16(tcp6[42:], 50000)
	// The same with a hop-by-hop header in front of TCP.
	hbh := append(append(append([]byte(nil), tcp6[:40]...), 6, 0, 1, 4, 0, 0, 0, 0), tcp6[40:]...)
	hbh[6] = 0
	frag := append([]byte(nil), v4...)
	binary.BigEndian.PutUint16(frag[6:], 100) // not the first fragment: no ports
	vlan := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0, 0, 5, 0x08, 0}, v4...)
	for name, tt := range map[string]struct {
		proto uint16
		in    []byte
		want  string
		ok    bool
	}{
		"ethernet ipv4": {0x0800, ethernet(0x0800, v4), "udp 198.18.1.1:40000 > 198.18.1.2:9998", true},
		"vlan ipv4":     {0x0800, vlan, "udp 198.18.1.1:40000 > 198.18.1.2:9998", true},
		"bare ipv4":     {0x0800, v4, "udp 198.18.1.1:40000 > 198.18.1.2:9998", true},
		"fragment":      {0x0800, frag, "udp 198.18.1.1 > 198.18.1.2", true},
		"ipv6 tcp":      {0x86dd, ethernet(0x86dd, tcp6), "tcp [2001:db8::1]:443 > [2001:db8::2]:50000", true},
		"ipv6 hbh":      {0x86dd, hbh, "tcp [2001:db8::1]:443 > [2001:db8::2]:50000", true},
		"arp":           {0x0806, ethernet(0x0806, make([]byte, 28)), "", false},
		"truncated":     {0x0800, ethernet(0x0800, v4[:19]), "", false},
		"bad ihl":       {0x0800, append([]byte{0x41}, v4[1:]...), "", false},
	} {
		p, ok := DecodePacket(tt.proto, tt.in)
		if ok != tt.ok || (ok && p.String() != tt.want) {
			t.Errorf("%s: got %q, %v; want %q, %v", name, p.String(), ok, tt.want, tt.ok)
		}
	}
}
