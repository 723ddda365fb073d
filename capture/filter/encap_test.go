package filter

import (
	"encoding/binary"
	"testing"
)

// libpcap 1.10 has no vxlan, so VXLAN is checked here on synthesised
// packets (geneve is in the differential test against libpcap). The cases
// follow gen_vxlan in libpcap's gencode.c: UDP destination port 4789 on an
// IPv4 packet that is not a later fragment or on IPv6 with UDP as the first
// next header, flags byte exactly 0x08, the VNI in the top 24 bits of the
// second word, and the inner Ethernet header right after the 8-byte header.
func TestVXLAN(t *testing.T) {
	a, b := [4]byte{198, 18, 0, 1}, [4]byte{198, 18, 0, 2}
	v6a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}
	v6b := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 2}
	m1 := [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	m2 := [6]byte{0x02, 0, 0, 0, 0, 2}
	bcast := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	innerTCP := ether(m2, m1, 0x0800, ipv4(6, 5, l4(1234, 80, 24), b, a, 0))
	innerUDP6 := ether(m1, m2, 0x86dd, ipv6(17, l4(5353, 53, 16), v6a, v6b))
	innerARP := ether(bcast, m2, 0x0806, arpPkt(1, b, a))
	vxs := func(sport, dport uint16, flags byte, vni uint32, inner []byte) []byte {
		h := make([]byte, 8)
		h[0] = flags
		binary.BigEndian.PutUint32(h[4:], vni<<8)
		return append(l4(sport, dport, 8), append(h, inner...)...)
	}
	vx := func(port uint16, flags byte, vni uint32, inner []byte) []byte {
		return vxs(40000, port, flags, vni, inner)
	}
	// Reserved bits (bytes 1-3 and 7 of the VXLAN header) are not tested.
	reserved := vx(4789, 0x08, 10, innerTCP)
	reserved[9], reserved[10], reserved[11], reserved[15] = 0xff, 0xff, 0xff, 0xff
	// A hop-by-hop header before UDP: libpcap tests only the IPv6 next
	// header field for 17.
	hbh := append([]byte{17, 0, 0, 0, 0, 0, 0, 0}, vx(4789, 0x08, 10, innerTCP)...)
	pkts := map[string][]byte{
		"v4 vni 10 tcp":          ipv4(17, 5, vx(4789, 0x08, 10, innerTCP), a, b, 0),
		"v4 options vni 30 udp6": ipv4(17, 6, vx(4789, 0x08, 30, innerUDP6), a, b, 0),
		"v6 vni 10 tcp":          ipv6(17, vx(4789, 0x08, 10, innerTCP), v6a, v6b),
		"v4 vni 20 arp":          ipv4(17, 5, vx(4789, 0x08, 20, innerARP), a, b, 0),
		"v4 reserved bits":       ipv4(17, 5, reserved, a, b, 0),
		"v4 first fragment":      ipv4(17, 5, vx(4789, 0x08, 10, innerTCP), a, b, 0x2000),
		"v4 port 4790":           ipv4(17, 5, vx(4790, 0x08, 10, innerTCP), a, b, 0),
		"v4 src port 4789":       ipv4(17, 5, vxs(4789, 40000, 0x08, 10, innerTCP), a, b, 0),
		"v4 flags 0x0c":          ipv4(17, 5, vx(4789, 0x0c, 10, innerTCP), a, b, 0),
		"v4 fragment":            ipv4(17, 5, vx(4789, 0x08, 10, innerTCP), a, b, 0x0010),
		"v4 tcp 4789":            ipv4(6, 5, vx(4789, 0x08, 10, innerTCP), a, b, 0),
		"v6 hop-by-hop":          ipv6(0, hbh, v6a, v6b),
	}
	tcp10 := []string{"v4 vni 10 tcp", "v6 vni 10 tcp", "v4 reserved bits", "v4 first fragment"}
	tests := []struct {
		expr   string
		accept []string
	}{
		{"vxlan", append([]string{"v4 options vni 30 udp6", "v4 vni 20 arp"}, tcp10...)},
		{"vxlan 10", tcp10},
		{"vxlan (0xa)", tcp10},
		{"vxlan 30", []string{"v4 options vni 30 udp6"}},
		{"vxlan and tcp port 80", tcp10},
		{"vxlan and ip6 and udp dst port 53", []string{"v4 options vni 30 udp6"}},
		{"vxlan and arp", []string{"v4 vni 20 arp"}},
		// host without a protocol is ip, arp or rarp host: the ARP sender.
		{"vxlan and src host 198.18.0.2", append([]string{"v4 vni 20 arp"}, tcp10...)},
		{"vxlan and dst host 198.18.0.2", nil},
		{"vxlan and ether src 00:11:22:33:44:55", tcp10},
		{"vxlan and ether dst 00:11:22:33:44:55", []string{"v4 options vni 30 udp6"}},
		{"vxlan and ether broadcast", []string{"v4 vni 20 arp"}},
		{"vxlan and ip6 host 2001:db8::1", []string{"v4 options vni 30 udp6"}},
		{"vxlan and tcp[13] & tcp-syn != 0", tcp10},
		{"vxlan and ip[9] = 6", tcp10},
		{"vxlan and ether[12:2] = 0x86dd", []string{"v4 options vni 30 udp6"}},
		{"not vxlan", []string{"v4 port 4790", "v4 src port 4789", "v4 flags 0x0c", "v4 fragment", "v4 tcp 4789", "v6 hop-by-hop"}},
		{"vxlan and vxlan", nil},
		{"udp port 4789 and not vxlan 10", []string{"v4 options vni 30 udp6", "v4 vni 20 arp", "v4 src port 4789", "v4 flags 0x0c"}},
	}
	for _, lt := range []LinkType{EN10MB, RAW, LINUX_SLL2} {
		for _, tc := range tests {
			prog, err := Compile(tc.expr, lt, 0)
			if err != nil {
				t.Fatalf("%s %q: %v", lt, tc.expr, err)
			}
			if err := Validate(prog); err != nil {
				t.Fatalf("%s %q: %v", lt, tc.expr, err)
			}
			want := map[string]bool{}
			for _, n := range tc.accept {
				want[n] = true
			}
			for name, p := range pkts {
				var data []byte
				switch lt {
				case EN10MB:
					et := uint16(0x0800)
					if p[0]>>4 == 6 {
						et = 0x86dd
					}
					data = ether(m1, m2, et, p)
				case RAW:
					data = p
				case LINUX_SLL2:
					data = make([]byte, 20, 20+len(p))
					binary.BigEndian.PutUint16(data, 0x0800)
					if p[0]>>4 == 6 {
						binary.BigEndian.PutUint16(data, 0x86dd)
					}
					data = append(data, p...)
				}
				got, err := Run(prog, data, len(data), nil)
				if err != nil {
					t.Fatal(err)
				}
				if (got != 0) != want[name] {
					t.Errorf("%s %q on %s: returns %d, want accept=%v", lt, tc.expr, name, got, want[name])
				}
				// Cut short anywhere, the program never errs.
				for l := 0; l < len(data); l += 7 {
					if _, err := Run(prog, data[:l], len(data), nil); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	if _, err := Compile("vxlan 16777216", EN10MB, 0); err == nil || err.Error() != `VXLAN VNI 16777216 greater than maximum 16777215: "16777216" at column 7` {
		t.Errorf("vxlan 16777216: error %v", err)
	}
}

// A load past the captured bytes ends a BPF program with 0, even under
// `not`: libpcap's vxlan loads the outer headers first and the inner ones
// only in the tests that follow.
func TestVXLANTruncated(t *testing.T) {
	a, b := [4]byte{198, 18, 0, 1}, [4]byte{198, 18, 0, 2}
	m1 := [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	m2 := [6]byte{0x02, 0, 0, 0, 0, 2}
	hdr := make([]byte, 8)
	hdr[0] = 0x08
	inner := ether(m2, m1, 0x0800, ipv4(6, 5, l4(1234, 80, 24), b, a, 0))
	full := ether(m1, m2, 0x0800, ipv4(17, 5, append(l4(40000, 4789, 8), append(hdr, inner...)...), a, b, 0))
	arp := ether(m1, m2, 0x0806, make([]byte, 6))
	for _, tc := range []struct {
		expr   string
		pkt    []byte
		caplen int
		accept bool
	}{
		{"vxlan", full, len(full), true},
		{"vxlan", full, 50, true},         // cut after the VXLAN header
		{"vxlan and ip", full, 50, false}, // the inner EtherType is missing
		{"vxlan and ether dst 02:00:00:00:00:02", full, len(full), true},
		{"vxlan and ether dst 02:00:00:00:00:02", full, 50, false},
		{"not vxlan", full, 37, false}, // cut inside the UDP destination port
		{"udp", full, 37, true},
		{"not vxlan", arp, len(arp), true}, // not IP: no load past the end
	} {
		prog, err := Compile(tc.expr, EN10MB, 0)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		got, err := Run(prog, tc.pkt[:tc.caplen], len(tc.pkt), nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		if (got != 0) != tc.accept {
			t.Errorf("%q on %d of %d bytes: returns %d, want accept=%v", tc.expr, tc.caplen, len(tc.pkt), got, tc.accept)
		}
	}
}

func TestUsesVLAN(t *testing.T) {
	for expr, want := range map[string]bool{
		"vlan":                         true,
		"tcp and (vlan 100 or port 9)": true,
		"not vlan":                     true,
		"tcp port 80":                  false,
		"ether proto 0x8100":           false,
		"vlan and (":                   false, // a syntax error: Compile reports it
	} {
		if got := UsesVLAN(expr); got != want {
			t.Errorf("UsesVLAN(%q) = %v, want %v", expr, got, want)
		}
	}
}
