package cli

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/attribute"
	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/kubeproxy"
	"github.com/netdiag/netdiag/node"
)

// captureNames names the addresses a pcapng capture may meet: each pod's
// IPs as NAME.NAMESPACE and each Service VIP as NAME.NAMESPACE.svc, read
// from the pod list and kube-proxy's rules of the node. What cannot be read
// is left out (said with --verbose): names help, they are not the capture.
func captureNames(c *ucli.Context, inv *node.Inventory) []pcapio.Name {
	g := globals(c)
	warn := func(what string, err error) {
		if g.Verbose {
			fmt.Fprintf(envOf(c).stderr, "netdiag: warning: no %s names in the pcapng: %v\n", what, err)
		}
	}
	if inv == nil {
		var err error
		if inv, err = loadInventory(c); err != nil {
			warn("pod", err)
		}
	}
	var svcs []kubeproxy.Service
	if ns, err := node.OpenNode(g.NodeNetNS); err != nil {
		warn("Service", err)
	} else {
		res, err := kubeproxy.Load(ns, g.HostRoot, "auto", nil)
		ns.Close()
		if err != nil {
			warn("Service", err)
		} else {
			svcs = res.Services
		}
	}
	var pods []node.Pod
	if inv != nil {
		pods = inv.Pods
	}
	return addressNames(pods, svcs)
}

// addressNames is captureNames without the reading. Host-network pods
// have the node's addresses and are left out.
func addressNames(pods []node.Pod, svcs []kubeproxy.Service) []pcapio.Name {
	byAddr := map[netip.Addr][]string{}
	add := func(a netip.Addr, name string) {
		for _, n := range byAddr[a] {
			if n == name {
				return
			}
		}
		byAddr[a] = append(byAddr[a], name)
	}
	for _, p := range pods {
		if p.HostNetwork || p.Name == "" {
			continue
		}
		for _, s := range p.IPs {
			if a, err := netip.ParseAddr(s); err == nil {
				add(a.Unmap(), p.Name+"."+p.Namespace)
			}
		}
	}
	for _, s := range svcs {
		ns, rest, ok := strings.Cut(s.Name, "/")
		if !ok || !s.VIP.IsValid() {
			continue
		}
		name, _, _ := strings.Cut(rest, ":")
		add(s.VIP.Unmap(), name+"."+ns+".svc")
	}
	out := make([]pcapio.Name, 0, len(byAddr))
	for a, names := range byAddr {
		out = append(out, pcapio.Name{Addr: a, Names: names})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out
}

// newAttributor names flows from the pods of inv (loaded here when nil)
// and the node's own addresses.
func newAttributor(c *ucli.Context, inv *node.Inventory) (*attribute.Attributor, error) {
	if inv == nil {
		var err error
		if inv, err = loadInventory(c); err != nil {
			return nil, fmt.Errorf("capture --attribute: %w", err)
		}
	}
	ns, err := node.OpenNode(globals(c).NodeNetNS)
	if err != nil {
		return nil, fmt.Errorf("capture --attribute: %w", err)
	}
	addrs, _ := node.NodeAddrs(ns)
	return attribute.New(inv, ns, addrs, ""), nil
}
