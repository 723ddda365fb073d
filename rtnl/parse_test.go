package rtnl

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func le32(v uint32) []byte { b := make([]byte, 4); ne.PutUint32(b, v); return b }

func join(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// vethMsg is an RTM_NEWLINK body as the kernel sends it for a pod's veth
// whose peer is index 17 in the netns with id 0.
func vethMsg(index int32) []byte {
	ifi := make([]byte, sizeofIfInfomsg)
	ne.PutUint16(ifi[2:4], 1) // ARPHRD_ETHER
	ne.PutUint32(ifi[4:8], uint32(index))
	ne.PutUint32(ifi[8:12], FlagUp|FlagLowerUp|0x1002)
	return join(ifi,
		attr(iflaIfname, []byte("eth0\x00")),
		attr(iflaMTU, le32(1450)),
		attr(iflaLink, le32(17)),
		attr(iflaLinkNetNSID, le32(0)),
		attr(iflaOperState, []byte{byte(OperUp)}),
		attr(iflaAddress, []byte{2, 0, 0, 0, 0, 1}),
		attr(iflaLinkInfo|0x8000, attr(iflaInfoKind, []byte("veth\x00"))))
}

func vxlanMsg() []byte {
	ifi := make([]byte, sizeofIfInfomsg)
	ne.PutUint32(ifi[4:8], 9)
	port := make([]byte, 2)
	binary.BigEndian.PutUint16(port, 8472)
	return join(ifi,
		attr(iflaIfname, []byte("flannel.1\x00")),
		attr(iflaMaster, le32(3)),
		attr(iflaAddress, make([]byte, 6)),
		attr(iflaLinkInfo|0x8000, join(attr(iflaInfoKind, []byte("vxlan\x00")), attr(iflaInfoData|0x8000, attr(iflaVxlanPort, port)))))
}

func TestParseLink(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  []byte
		want Link
	}{
		{"veth", vethMsg(2), Link{Index: 2, Name: "eth0", Kind: "veth", MTU: 1450, Flags: FlagUp | FlagLowerUp | 0x1002, OperState: OperUp,
			ParentIndex: 17, NetNSID: 0, Type: 1, HardwareAddr: []byte{2, 0, 0, 0, 0, 1}}},
		{"vxlan", vxlanMsg(), Link{Index: 9, Name: "flannel.1", Kind: "vxlan", MasterIndex: 3, NetNSID: -1, DstPort: 8472}},
		{"device", make([]byte, sizeofIfInfomsg), Link{Kind: "device", NetNSID: -1}},
	} {
		got, ok := parseLink(tc.msg)
		if !ok {
			t.Fatalf("%s: not parsed", tc.name)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseLink %s (-want +got):\n%s", tc.name, diff)
		}
	}
	if got := (Link{OperState: OperUnknown, Flags: FlagUp}); !got.Up() || !got.AdminUp() {
		t.Errorf("unknown state and IFF_UP: Up false")
	}
}

func addrMsg(family, plen, scope byte, index uint32, attrs ...[]byte) []byte {
	ifa := []byte{family, plen, 0, scope, 0, 0, 0, 0}
	ne.PutUint32(ifa[4:8], index)
	return join(append([][]byte{ifa}, attrs...)...)
}

func TestParseAddr(t *testing.T) {
	v4 := []byte{198, 18, 0, 10}
	for _, tc := range []struct {
		name string
		msg  []byte
		want Address
	}{
		{"ipv4", addrMsg(FamilyV4, 24, 0, 2, attr(ifaAddress, v4), attr(ifaLocal, v4), attr(ifaBroadcast, []byte{198, 18, 0, 255}), attr(ifaLabel, []byte("eth0:1\x00"))),
			Address{Index: 2, Family: FamilyV4, Prefix: netip.MustParsePrefix("198.18.0.10/24"), Broadcast: netip.MustParseAddr("198.18.0.255"), Label: "eth0:1"}},
		{"ipv6", addrMsg(FamilyV6, 64, byte(ScopeLink), 3, attr(ifaAddress, netip.MustParseAddr("fe80::1").AsSlice())),
			Address{Index: 3, Family: FamilyV6, Prefix: netip.MustParsePrefix("fe80::1/64"), Scope: ScopeLink}},
		{"peer", addrMsg(FamilyV4, 32, 0, 4, attr(ifaAddress, []byte{10, 9, 9, 2}), attr(ifaLocal, []byte{10, 9, 9, 1})),
			Address{Index: 4, Family: FamilyV4, Prefix: netip.MustParsePrefix("10.9.9.1/32"), Peer: netip.MustParsePrefix("10.9.9.2/32")}},
	} {
		got, ok := parseAddr(tc.msg)
		if !ok {
			t.Fatalf("%s: not parsed", tc.name)
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("parseAddr %s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func routeMsg(family, dstLen, table, proto, scope, typ byte, attrs ...[]byte) []byte {
	rtm := []byte{family, dstLen, 0, 0, table, proto, scope, typ, 0, 0, 0, 0}
	return join(append([][]byte{rtm}, attrs...)...)
}

func TestParseRoute(t *testing.T) {
	nh := func(oif uint32, gw []byte) []byte {
		b := make([]byte, sizeofRtNexthop)
		ne.PutUint32(b[4:8], oif)
		b = append(b, attr(rtaGateway, gw)...)
		ne.PutUint16(b[0:2], uint16(len(b)))
		return b
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want Route
	}{
		{"default", routeMsg(FamilyV4, 0, TableMain, 3, 0, 1, attr(rtaGateway, []byte{198, 18, 0, 1}), attr(rtaOIF, le32(2)), attr(rtaTable, le32(TableMain))),
			Route{Family: FamilyV4, Table: TableMain, Type: RouteUnicast, Protocol: 3, Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("198.18.0.1"), OIF: 2}},
		{"table 1000", routeMsg(FamilyV6, 64, 252, 2, byte(ScopeLink), 1, attr(rtaDst, netip.MustParseAddr("2001:db8::").AsSlice()), attr(rtaTable, le32(1000)), attr(rtaPriority, le32(256))),
			Route{Family: FamilyV6, Table: 1000, Type: RouteUnicast, Protocol: 2, Scope: ScopeLink, Dst: netip.MustParsePrefix("2001:db8::/64"), Priority: 256}},
		{"multipath", routeMsg(FamilyV4, 16, TableMain, 3, 0, 1, attr(rtaDst, []byte{10, 1, 0, 0}), attr(rtaMultipath, join(nh(2, []byte{192, 0, 2, 2}), nh(3, []byte{192, 0, 2, 3})))),
			Route{Family: FamilyV4, Table: TableMain, Type: RouteUnicast, Protocol: 3, Dst: netip.MustParsePrefix("10.1.0.0/16"),
				NextHops: []NextHop{{2, netip.MustParseAddr("192.0.2.2")}, {3, netip.MustParseAddr("192.0.2.3")}}}},
	} {
		got, ok := parseRoute(tc.msg)
		if !ok {
			t.Fatalf("%s: not parsed", tc.name)
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("parseRoute %s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestParseNeigh(t *testing.T) {
	ndm := make([]byte, sizeofNdMsg)
	ndm[0] = FamilyV6
	ne.PutUint32(ndm[4:8], 5)
	ne.PutUint16(ndm[8:10], uint16(NeighStale))
	ndm[10] = NeighFlagRouter
	msg := join(ndm, attr(ndaDst, netip.MustParseAddr("fe80::1").AsSlice()), attr(ndaLLAddr, []byte{2, 0, 0, 0, 0, 3}))
	got, ok := parseNeigh(msg)
	want := Neighbor{Index: 5, Family: FamilyV6, IP: netip.MustParseAddr("fe80::1"), LLAddr: []byte{2, 0, 0, 0, 0, 3}, State: NeighStale, Flags: NeighFlagRouter}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); !ok || diff != "" {
		t.Errorf("parseNeigh ok %v (-want +got):\n%s", ok, diff)
	}
	if _, ok := parseNeigh(ndm); ok {
		t.Errorf("an entry without NDA_DST parsed")
	}
}

// FuzzParse: no input makes a parser panic, and a message that is not one
// gives the zero value.
func FuzzParse(f *testing.F) {
	f.Add(vethMsg(2))
	f.Add(vxlanMsg())
	f.Add(routeMsg(FamilyV4, 16, TableMain, 3, 0, 1, attr(rtaDst, []byte{10, 1, 0, 0}), attr(rtaMultipath, make([]byte, 20))))
	f.Add(addrMsg(FamilyV4, 24, 0, 2, attr(ifaLocal, []byte{1, 2, 3, 4})))
	f.Fuzz(func(t *testing.T, b []byte) {
		if l, ok := parseLink(b); !ok && l.Index != 0 {
			t.Errorf("parseLink: %+v without ok", l)
		}
		if a, ok := parseAddr(b); !ok && a.Prefix.IsValid() {
			t.Errorf("parseAddr: %+v without ok", a)
		}
		if r, ok := parseRoute(b); !ok && r.Dst.IsValid() {
			t.Errorf("parseRoute: %+v without ok", r)
		}
		if n, ok := parseNeigh(b); !ok && n.IP.IsValid() {
			t.Errorf("parseNeigh: %+v without ok", n)
		}
		parseNSID(b)
	})
}
