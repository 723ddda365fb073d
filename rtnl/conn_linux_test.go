package rtnl_test

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/rtnl"
)

// TestConn reads a netns from a goroutine other than the one that dialled
// (the socket carries the netns) and checks what snapshot and the netns
// scan take from it against what the test set up.
func TestConn(t *testing.T) {
	testlab.RequireRoot(t)
	a, b := testlab.NewNetNS(t), testlab.NewNetNS(t)
	va, _ := testlab.VethPair(t, a, "198.18.4.1/24", b, "198.18.4.2/24")
	br, vx := testlab.UniqueName("br"), testlab.UniqueName("vx")
	testlab.Run(t, "ip", "-n", a, "link", "add", br, "type", "bridge")
	testlab.Run(t, "ip", "-n", a, "link", "add", vx, "type", "vxlan", "id", "5", "dstport", "8472", "dev", "lo")
	testlab.Run(t, "ip", "-n", a, "link", "set", vx, "master", br)
	testlab.Run(t, "ip", "-n", a, "route", "add", "198.19.7.0/24", "via", "198.18.4.2", "table", "100")
	testlab.Run(t, "ip", "-n", a, "neigh", "add", "198.18.4.9", "lladdr", "02:00:00:00:00:09", "dev", va, "nud", "stale")
	ns := mustOpen(t, testlab.NetNSPath(a))
	c, err := rtnl.Dial(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	done := make(chan struct{})
	var links []rtnl.Link
	go func() {
		defer close(done)
		links, err = c.Links()
	}()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]rtnl.Link{}
	for _, l := range links {
		byName[l.Name] = l
	}
	if len(links) != 4 {
		t.Errorf("links %+v, want lo, %s, %s and %s only", links, va, br, vx)
	}
	if l := byName[va]; l.Kind != "veth" || !l.AdminUp() || l.NetNSID < 0 || l.ParentIndex == 0 {
		t.Errorf("%s = %+v, want an up veth with a peer in another netns", va, l)
	}
	if l := byName[vx]; l.Kind != "vxlan" || l.DstPort != 8472 || l.MasterIndex != byName[br].Index || l.AdminUp() {
		t.Errorf("%s = %+v, want a down vxlan on port 8472 in %s", vx, l, br)
	}
	if l := byName["lo"]; l.Kind != "device" {
		t.Errorf("lo kind %q, want device", l.Kind)
	}
	if _, err := c.LinkByName("nope0"); !errors.Is(err, rtnl.ErrNotFound) {
		t.Errorf("LinkByName(nope0) = %v, want ErrNotFound", err)
	}
	if _, err := c.LinkByIndex(99999); !errors.Is(err, rtnl.ErrNotFound) {
		t.Errorf("LinkByIndex(99999) = %v, want ErrNotFound", err)
	}
	if l, err := c.LinkByName(va); err != nil || l.Index != byName[va].Index {
		t.Errorf("LinkByName(%s) = %+v, %v", va, l, err)
	}

	addrs, err := c.Addrs(rtnl.FamilyV4, byName[va].Index)
	if err != nil || len(addrs) != 1 || addrs[0].Prefix != netip.MustParsePrefix("198.18.4.1/24") {
		t.Errorf("Addrs(v4, %s) = %+v, %v", va, addrs, err)
	}
	main, err := c.Routes(rtnl.FamilyV4, rtnl.TableMain)
	if err != nil || len(main) != 1 || main[0].Dst != netip.MustParsePrefix("198.18.4.0/24") || main[0].OIF != byName[va].Index {
		t.Errorf("main routes %+v, %v", main, err)
	}
	t100, err := c.Routes(rtnl.FamilyAll, 100)
	if err != nil || len(t100) != 1 || t100[0].Gateway != netip.MustParseAddr("198.18.4.2") || t100[0].Table != 100 {
		t.Errorf("table 100 routes %+v, %v", t100, err)
	}
	all, err := c.Routes(rtnl.FamilyAll, rtnl.TableAll)
	if err != nil || !slices.ContainsFunc(all, func(r rtnl.Route) bool { return r.Type == rtnl.RouteLocal }) || len(all) <= len(main)+len(t100) {
		t.Errorf("all routes %+v, %v: want the local table too", all, err)
	}
	neigh, err := c.Neighbors(rtnl.FamilyV4)
	if err != nil || len(neigh) != 1 || neigh[0].IP != netip.MustParseAddr("198.18.4.9") || neigh[0].State != rtnl.NeighStale {
		t.Errorf("neighbours %+v, %v", neigh, err)
	}
}
