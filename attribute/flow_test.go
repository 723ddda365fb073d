package attribute

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// ipv4 is an IPv4 header and 4 bytes of ports.
func ipv4(proto uint8, src, dst string, sport, dport uint16, frag uint16) []byte {
	b := make([]byte, 24)
	b[0], b[9] = 0x45, proto
	binary.BigEndian.PutUint16(b[6:], frag)
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	return b
}

func ipv6(next uint8, src, dst string, ext []byte, sport, dport uint16) []byte {
	b := make([]byte, 40)
	b[0], b[6] = 0x60, next
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	b = append(b, ext...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, sport), dport)
}

func ether(etype uint16, vlan bool, payload []byte) []byte {
	b := make([]byte, 12)
	if vlan {
		b = binary.BigEndian.AppendUint16(b, etherVLAN)
		b = binary.BigEndian.AppendUint16(b, 7)
	}
	return append(binary.BigEndian.AppendUint16(b, etype), payload...)
}

func sll2(etype uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, etype)
	return append(append(b, make([]byte, 18)...), payload...)
}

func TestParseFlow(t *testing.T) {
	tcp4 := ipv4(protoTCP, "198.18.0.1", "198.18.0.2", 40000, 80, 0)
	want4 := Flow{protoTCP, netip.MustParseAddrPort("198.18.0.1:40000"), netip.MustParseAddrPort("198.18.0.2:80")}
	hop := []byte{protoUDP, 0, 0, 0, 0, 0, 0, 0} // hop-by-hop options, 8 bytes
	want6 := Flow{protoUDP, netip.MustParseAddrPort("[2002:c612::1]:5353"), netip.MustParseAddrPort("[2002:c612::2]:53")}
	for _, tc := range []struct {
		name string
		lt   pcapio.LinkType
		b    []byte
		want Flow
		ok   bool
	}{
		{"ethernet", pcapio.LinkTypeEthernet, ether(etherIPv4, false, tcp4), want4, true},
		{"vlan", pcapio.LinkTypeEthernet, ether(etherIPv4, true, tcp4), want4, true},
		{"sll2", pcapio.LinkTypeLinuxSLL2, sll2(etherIPv4, tcp4), want4, true},
		{"raw", pcapio.LinkTypeRaw, tcp4, want4, true},
		{"ipv6 hop-by-hop", pcapio.LinkTypeEthernet, ether(etherIPv6, false, ipv6(0, "2002:c612::1", "2002:c612::2", hop, 5353, 53)), want6, true},
		{"later fragment", pcapio.LinkTypeRaw, ipv4(protoTCP, "198.18.0.1", "198.18.0.2", 1, 2, 100), Flow{}, false},
		{"icmp", pcapio.LinkTypeRaw, ipv4(1, "198.18.0.1", "198.18.0.2", 1, 2, 0), Flow{}, false},
		{"arp", pcapio.LinkTypeEthernet, ether(0x0806, false, make([]byte, 28)), Flow{}, false},
		{"short", pcapio.LinkTypeRaw, tcp4[:22], Flow{}, false},
	} {
		got, ok := ParseFlow(tc.lt, tc.b)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFlowKeyBothDirections(t *testing.T) {
	f := Flow{protoTCP, netip.MustParseAddrPort("198.18.0.9:40000"), netip.MustParseAddrPort("198.18.0.2:80")}
	r := Flow{protoTCP, f.Dst, f.Src}
	if f.key() != r.key() {
		t.Errorf("the two directions have different keys: %v, %v", f.key(), r.key())
	}
	same := Flow{protoTCP, netip.MustParseAddrPort("198.18.0.2:80"), netip.MustParseAddrPort("198.18.0.2:40000")}
	if same.key() != (Flow{protoTCP, same.Dst, same.Src}).key() {
		t.Error("a flow between two ports of one address has two keys")
	}
}

func TestOwnerString(t *testing.T) {
	web := &Owner{Pod: "default/web-1", Container: "app", PID: 1234, Comm: "nginx"}
	gone := &Owner{Pod: "default/client", Unknown: true}
	host := &Owner{PID: 7, Comm: "kubelet"}
	for _, tc := range []struct {
		src, dst *Owner
		want     string
	}{
		{web, nil, "pod=default/web-1 container=app pid=1234 comm=nginx"},
		{nil, gone, "pod=default/client owner unknown"},
		{host, web, "src node pid=7 comm=kubelet; dst pod=default/web-1 container=app pid=1234 comm=nginx"},
		{nil, nil, "owner unknown"},
	} {
		if got := comment(tc.src, tc.dst); got != tc.want {
			t.Errorf("comment = %q, want %q", got, tc.want)
		}
	}
}

func FuzzParseFlow(f *testing.F) {
	f.Add(uint8(1), ether(etherIPv4, true, ipv4(protoTCP, "198.18.0.1", "198.18.0.2", 1, 2, 0)))
	f.Add(uint8(1), ether(etherIPv6, false, ipv6(60, "2002:c612::1", "2002:c612::2", []byte{protoTCP, 0, 0, 0, 0, 0, 0, 0}, 1, 2)))
	f.Add(uint8(2), sll2(etherIPv4, ipv4(protoUDP, "198.18.0.1", "198.18.0.2", 1, 2, 0)))
	lts := []pcapio.LinkType{pcapio.LinkTypeRaw, pcapio.LinkTypeEthernet, pcapio.LinkTypeLinuxSLL2, pcapio.LinkTypeLinuxSLL}
	f.Fuzz(func(t *testing.T, lt uint8, b []byte) {
		fl, ok := ParseFlow(lts[int(lt)%len(lts)], b)
		if ok && (fl.Proto != protoTCP && fl.Proto != protoUDP || !fl.Src.Addr().IsValid() || !fl.Dst.Addr().IsValid()) {
			t.Fatalf("ok with %+v", fl)
		}
	})
}
