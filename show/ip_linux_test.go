package show

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

func TestIPNames(t *testing.T) {
	for _, tc := range []struct {
		flags uint32
		want  []string
	}{
		{0, []string{}},
		{unix.IFF_UP | unix.IFF_LOWER_UP | unix.IFF_LOOPBACK, []string{"LOOPBACK", "UP", "LOWER_UP"}},
		{unix.IFF_UP | unix.IFF_BROADCAST | unix.IFF_MULTICAST, []string{"NO-CARRIER", "BROADCAST", "MULTICAST", "UP"}},
		{unix.IFF_BROADCAST | unix.IFF_MULTICAST | unix.IFF_SLAVE, []string{"BROADCAST", "MULTICAST", "SLAVE"}},
	} {
		if d := cmp.Diff(tc.want, linkFlags(tc.flags)); d != "" {
			t.Errorf("linkFlags(%#x) (-want +got):\n%s", tc.flags, d)
		}
	}
	for _, tc := range []struct {
		state rtnl.NeighState
		want  []string
	}{
		{rtnl.NeighNone, []string{"NONE"}},
		{rtnl.NeighReachable, []string{"REACHABLE"}},
		{rtnl.NeighStale | rtnl.NeighPermanent, []string{"STALE", "PERMANENT"}},
	} {
		if d := cmp.Diff(tc.want, neighStates(tc.state)); d != "" {
			t.Errorf("neighStates(%#x) (-want +got):\n%s", tc.state, d)
		}
	}
	for typ, want := range map[rtnl.RouteType]string{unix.RTN_UNICAST: "unicast", unix.RTN_THROW: "throw", 99: "type99"} {
		if got := typ.String(); got != want {
			t.Errorf("routeType(%d) = %q, want %q", typ, got, want)
		}
	}
	for table, want := range map[int]string{unix.RT_TABLE_LOCAL: "local", unix.RT_TABLE_DEFAULT: "default", 100: "100"} {
		if got := tableName(table); got != want {
			t.Errorf("tableName(%d) = %q, want %q", table, got, want)
		}
	}
	if got := rtnl.ScopeUniverse.String(); got != "global" {
		t.Errorf("scopeName(universe) = %q, want global", got)
	}
}

// ipLab is a netns with a veth to a second one, a route in table 100, a
// blackhole route and static neighbours; nothing in it changes by itself.
func ipLab(t *testing.T) (*nsutil.NetNS, string, string) {
	t.Helper()
	testlab.RequireRoot(t)
	a, b := testlab.NewNetNS(t), testlab.NewNetNS(t)
	// A veth inside b first, so the peer's index differs from va's own.
	testlab.Run(t, "ip", "-n", b, "link", "add", testlab.UniqueName("vc"), "type", "veth", "peer", "name", testlab.UniqueName("vd"))
	va, _ := testlab.VethPair(t, a, "198.18.2.1/24", b, "198.18.2.2/24")
	testlab.Run(t, "ip", "-n", a, "addr", "add", "198.18.3.1/24", "brd", "+", "dev", va, "label", va+":x")
	testlab.Run(t, "ip", "-n", a, "route", "add", "198.19.5.0/24", "via", "198.18.2.2", "table", "100")
	testlab.Run(t, "ip", "-n", a, "route", "add", "blackhole", "198.19.6.0/24", "metric", "5")
	testlab.Run(t, "ip", "-n", a, "neigh", "add", "198.18.2.99", "lladdr", "02:00:00:00:00:99", "dev", va, "nud", "permanent")
	testlab.Run(t, "ip", "-n", a, "neigh", "add", "198.18.2.98", "lladdr", "02:00:00:00:00:98", "dev", va, "nud", "noarp")
	ns, err := nsutil.Open(testlab.NetNSPath(a))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns, a, va
}

// ipText is iproute2's output without the trailing blanks it leaves.
func ipText(t *testing.T, args ...string) string {
	t.Helper()
	var out strings.Builder
	for l := range strings.Lines(testlab.Run(t, "ip", args...)) {
		out.WriteString(strings.TrimRight(l, " \n") + "\n")
	}
	return out.String()
}

// TestReadIPMatchesIproute2 compares ReadIP with iproute2 on the same netns:
// the text of routes and neighbours, and the JSON of links and addresses.
func TestReadIPMatchesIproute2(t *testing.T) {
	ns, name, va := ipLab(t)
	for _, tc := range []struct {
		opt IPOptions
		ip  []string
	}{
		{IPOptions{Routes: true, Family: rtnl.FamilyV4}, []string{"-4", "route", "show"}},
		{IPOptions{Routes: true, Family: rtnl.FamilyV4, AllTables: true}, []string{"-4", "route", "show", "table", "all"}},
		{IPOptions{Neighbors: true, Family: rtnl.FamilyV4}, []string{"-4", "neigh", "show"}},
		{IPOptions{Neighbors: true, Family: rtnl.FamilyV4, AllStates: true}, []string{"-4", "neigh", "show", "nud", "all"}},
	} {
		st, err := ReadIP(ns, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteRoutes(&b, st.Routes); err != nil {
			t.Fatal(err)
		}
		if err := WriteNeighbors(&b, st.Neighbors); err != nil {
			t.Fatal(err)
		}
		want := ipText(t, append([]string{"-n", name}, tc.ip...)...)
		if d := cmp.Diff(want, b.String()); d != "" {
			t.Errorf("ip %s (-want +got):\n%s", strings.Join(tc.ip, " "), d)
		}
	}

	// Links and IPv4 addresses, field by field against `ip -j link` and
	// `ip -j -4 addr`.
	var ipLinks []struct {
		Index     int      `json:"ifindex"`
		LinkIndex int      `json:"link_index"`
		Name      string   `json:"ifname"`
		Flags     []string `json:"flags"`
		MTU       int      `json:"mtu"`
		State     string   `json:"operstate"`
		LinkType  string   `json:"link_type"`
		Address   string   `json:"address"`
	}
	if err := json.Unmarshal([]byte(testlab.Run(t, "ip", "-n", name, "-j", "link")), &ipLinks); err != nil {
		t.Fatal(err)
	}
	var ipAddrs []struct {
		Index int    `json:"ifindex"`
		Addrs []Addr `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(testlab.Run(t, "ip", "-n", name, "-j", "-4", "addr")), &ipAddrs); err != nil {
		t.Fatal(err)
	}
	addrs := map[int][]Addr{}
	for _, l := range ipAddrs {
		addrs[l.Index] = l.Addrs
	}
	var want []Link
	for _, l := range ipLinks {
		il := Link{Index: l.Index, Name: l.Name, Flags: l.Flags, MTU: l.MTU, State: l.State, LinkType: l.LinkType, Address: l.Address, Addrs: addrs[l.Index]}
		if l.LinkIndex != 0 {
			il.Peer = "if" + strconv.Itoa(l.LinkIndex)
		}
		if il.Address == "00:00:00:00:00:00" {
			il.Address = ""
		}
		want = append(want, il)
	}
	st, err := ReadIP(ns, IPOptions{Addrs: true, Family: rtnl.FamilyV4})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for i, l := range st.Links {
		kinds[l.Name] = l.Kind
		st.Links[i].Kind = ""
	}
	if d := cmp.Diff(want, st.Links); d != "" {
		t.Errorf("ip -j link, ip -j -4 addr (-want +got):\n%s", d)
	}
	if kinds[va] != "veth" || kinds["lo"] != "device" {
		t.Errorf("kinds %v, want %s veth and lo device", kinds, va)
	}
}

func TestReadIPEmptyParts(t *testing.T) {
	ns, _, _ := ipLab(t)
	st, err := ReadIP(ns, IPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Links) != 2 || st.Routes == nil || len(st.Routes) != 0 || st.Neighbors == nil || len(st.Neighbors) != 0 || st.Errors != nil {
		t.Errorf("links only: %+v", st)
	}
	for _, l := range st.Links {
		if l.Addrs != nil {
			t.Errorf("%s has addresses without IPOptions.Addrs: %+v", l.Name, l.Addrs)
		}
	}
}
