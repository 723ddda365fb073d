package filter

import (
	"encoding/binary"
	"testing"
)

// libpcap 1.10 has no vxlan, so VXLAN is checked here on synthesised
// packets (geneve is in the differential test against libpcap).
func TestVXLAN(t *testing.T) {
	a, b := [4]byte{198, 18, 0, 1}, [4]byte{198, 18, 0, 2}
	v6a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}
	v6b := [16]byte{0xfe, 0x80, 15: 1}
	m1 := [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	m2 := [6]byte{0x02, 0, 0, 0, 0, 2}
	innerTCP := ether(m2, m1, 0x0800, ipv4(6, 5, l4(1234, 80, 24), b, a, 0))
	innerUDP6 := ether(m1, m2, 0x86dd, ipv6(17, l4(5353, 53, 16), v6a, v6b))
	vx := func(port uint16, flags byte, vni uint32, inner []byte) []byte {
		h := make([]byte, 8)
		h[0] = flags
		binary.BigEndian.PutUint32(h[4:], vni<<8)
		return append(l4(40000, port, 8), append(h, inner...)...)
	}
	pkts := map[string][]byte{
		"v4 vni 10 tcp":          ipv4(17, 5, vx(4789, 0x08, 10, innerTCP), a, b, 0),
		"v4 options vni 30 udp6": ipv4(17, 6, vx(4789, 0x08, 30, innerUDP6), a, b, 0),
		"v6 vni 10 tcp":          ipv6(17, vx(4789, 0x08, 10, innerTCP), v6a, v6b),
		"v4 port 4790":           ipv4(17, 5, vx(4790, 0x08, 10, innerTCP), a, b, 0),
		"v4 flags 0x0c":          ipv4(17, 5, vx(4789, 0x0c, 10, innerTCP), a, b, 0),
		"v4 fragment":            ipv4(17, 5, vx(4789, 0x08, 10, innerTCP), a, b, 0x0010),
		"v4 tcp 4789":            ipv4(6, 5, vx(4789, 0x08, 10, innerTCP), a, b, 0),
	}
	tests := []struct {
		expr   string
		accept []string
	}{
		{"vxlan", []string{"v4 vni 10 tcp", "v4 options vni 30 udp6", "v6 vni 10 tcp"}},
		{"vxlan 10", []string{"v4 vni 10 tcp", "v6 vni 10 tcp"}},
		{"vxlan 30", []string{"v4 options vni 30 udp6"}},
		{"vxlan and tcp port 80", []string{"v4 vni 10 tcp", "v6 vni 10 tcp"}},
		{"vxlan and ip6 and udp dst port 53", []string{"v4 options vni 30 udp6"}},
		{"vxlan and src host 198.18.0.2", []string{"v4 vni 10 tcp", "v6 vni 10 tcp"}},
		{"vxlan and dst host 198.18.0.2", nil},
		{"vxlan and ether src 00:11:22:33:44:55", []string{"v4 vni 10 tcp", "v6 vni 10 tcp"}},
		{"vxlan and ether dst 00:11:22:33:44:55", []string{"v4 options vni 30 udp6"}},
		{"vxlan and ip6 host 2001:db8::1", []string{"v4 options vni 30 udp6"}},
		{"vxlan and tcp[13] & tcp-syn != 0", []string{"v4 vni 10 tcp", "v6 vni 10 tcp"}},
		{"vxlan and ip[9] = 6", []string{"v4 vni 10 tcp", "v6 vni 10 tcp"}},
		{"vxlan and ether[12:2] = 0x86dd", []string{"v4 options vni 30 udp6"}},
		{"not vxlan", []string{"v4 port 4790", "v4 flags 0x0c", "v4 fragment", "v4 tcp 4789"}},
		{"vxlan and vxlan", nil},
		{"udp port 4789 and not vxlan 10", []string{"v4 options vni 30 udp6", "v4 flags 0x0c"}},
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
