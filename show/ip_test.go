package show

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/rtnl"
)

func TestWriteIP(t *testing.T) {
	links := []Link{
		{Index: 1, Name: "lo", Flags: []string{"LOOPBACK", "UP", "LOWER_UP"}, MTU: 65536, State: "UNKNOWN", Kind: "device", LinkType: "loopback",
			Addrs: []Addr{{Family: "inet", Local: "127.0.0.1", PrefixLen: 8, Scope: "host"}, {Family: "inet6", Local: "::1", PrefixLen: 128, Scope: "host"}}},
		{Index: 2, Name: "eth0", Peer: "if7", Flags: []string{"NO-CARRIER", "BROADCAST", "MULTICAST", "UP"}, MTU: 1500, Master: "cbr0", State: "DOWN",
			Kind: "veth", LinkType: "ether", Address: "02:00:00:00:00:01",
			Addrs: []Addr{{Family: "inet", Local: "198.18.0.10", PrefixLen: 24, Broadcast: "198.18.0.255", Scope: "global", Label: "eth0:1"}}},
		{Index: 3, Name: "tun0", Flags: []string{"POINTOPOINT", "NOARP", "UP", "LOWER_UP"}, MTU: 1400, State: "UNKNOWN", Kind: "tun", LinkType: "none"},
	}
	var b bytes.Buffer
	if err := WriteLinks(&b, links); err != nil {
		t.Fatal(err)
	}
	wantLinks := `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN
    link/loopback 00:00:00:00:00:00
2: eth0@if7: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 master cbr0 state DOWN
    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff
3: tun0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1400 state UNKNOWN
    link/none 00:00:00:00:00:00
`
	if d := cmp.Diff(wantLinks, b.String()); d != "" {
		t.Errorf("WriteLinks (-want +got):\n%s", d)
	}

	b.Reset()
	if err := WriteAddrs(&b, links); err != nil {
		t.Fatal(err)
	}
	wantAddrs := `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN
    link/loopback 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
    inet6 ::1/128 scope host
2: eth0@if7: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 master cbr0 state DOWN
    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff
    inet 198.18.0.10/24 brd 198.18.0.255 scope global eth0:1
3: tun0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1400 state UNKNOWN
    link/none 00:00:00:00:00:00
`
	if d := cmp.Diff(wantAddrs, b.String()); d != "" {
		t.Errorf("WriteAddrs (-want +got):\n%s", d)
	}

	b.Reset()
	routes := []Route{
		{Type: "unicast", Dst: "default", Gateway: "198.18.0.1", Dev: "eth0", Protocol: "boot", Scope: "global", Table: rtnl.TableMain, Family: "inet"},
		{Type: "unicast", Dst: "198.18.0.0/24", Dev: "eth0", Protocol: "kernel", Scope: "link", Src: "198.18.0.10", Table: rtnl.TableMain, Family: "inet"},
		{Type: "blackhole", Dst: "198.19.6.0/24", Protocol: "boot", Scope: "global", Metric: 5, Table: rtnl.TableMain, Family: "inet"},
		{Type: "unicast", Dst: "198.19.5.0/24", Gateway: "198.18.0.1", Dev: "eth0", Protocol: "boot", Scope: "global", Table: 100, Family: "inet"},
		{Type: "local", Dst: "127.0.0.1", Dev: "lo", Protocol: "kernel", Scope: "host", Src: "127.0.0.1", Table: rtnl.TableLocal, Family: "inet"},
	}
	if err := WriteRoutes(&b, routes); err != nil {
		t.Fatal(err)
	}
	wantRoutes := `default via 198.18.0.1 dev eth0
198.18.0.0/24 dev eth0 proto kernel scope link src 198.18.0.10
blackhole 198.19.6.0/24 metric 5
198.19.5.0/24 via 198.18.0.1 dev eth0 table 100
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1
`
	if d := cmp.Diff(wantRoutes, b.String()); d != "" {
		t.Errorf("WriteRoutes (-want +got):\n%s", d)
	}

	b.Reset()
	neigh := []Neigh{
		{Dst: "198.18.0.1", Dev: "eth0", LLAddr: "02:00:00:00:00:02", State: []string{"REACHABLE"}, Family: "inet"},
		{Dst: "fe80::1", Dev: "eth0", LLAddr: "02:00:00:00:00:03", State: []string{"STALE"}, Router: true, Family: "inet6"},
		{Dst: "198.18.0.7", Dev: "eth0", State: []string{"INCOMPLETE"}, Family: "inet"},
	}
	if err := WriteNeighbors(&b, neigh); err != nil {
		t.Fatal(err)
	}
	wantNeigh := `198.18.0.1 dev eth0 lladdr 02:00:00:00:00:02 REACHABLE
fe80::1 dev eth0 lladdr 02:00:00:00:00:03 router STALE
198.18.0.7 dev eth0 INCOMPLETE
`
	if d := cmp.Diff(wantNeigh, b.String()); d != "" {
		t.Errorf("WriteNeighbors (-want +got):\n%s", d)
	}
}

// TestToLinkPeerSameIndex: a veth whose peer in another netns has the same
// index is still shown as NAME@ifN, as ip link does.
func TestToLinkPeerSameIndex(t *testing.T) {
	for _, tc := range []struct {
		l    rtnl.Link
		want string
	}{
		{rtnl.Link{Index: 2, Name: "va", Kind: "veth", ParentIndex: 2, NetNSID: 0}, "if2"},
		{rtnl.Link{Index: 2, Name: "vb", Kind: "veth", ParentIndex: 3, NetNSID: -1}, "peer"},
		{rtnl.Link{Index: 4, Name: "self", ParentIndex: 4, NetNSID: -1}, ""},
	} {
		if got := toLink(tc.l, map[int]string{2: "va", 3: "peer", 4: "self"}).Peer; got != tc.want {
			t.Errorf("%s: peer %q, want %q", tc.l.Name, got, tc.want)
		}
	}
}
