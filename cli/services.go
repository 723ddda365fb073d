package cli

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"
	"github.com/vishvananda/netlink"

	"github.com/netdiag/netdiag/kubeproxy"
	"github.com/netdiag/netdiag/netstate"
	"github.com/netdiag/netdiag/nsutil"
)

func init() {
	register(&ucli.Command{
		Name:      "services",
		Usage:     "decode kube-proxy's rules (iptables, IPVS or nftables mode) into services and their endpoints",
		ArgsUsage: "[VIP[:PORT]|:NODEPORT]",
		Description: "Finds the mode kube-proxy runs in from the rules present: table ip/ip6 kube-proxy\n" +
			"(nftables), IPVS virtual servers (ipvs), else KUBE-SERVICES in iptables. Service names\n" +
			"come from the rules' comments (IPVS has none). Weights are relative shares of new\n" +
			"connections (1 = an equal share); in IPVS mode the real servers' weights. An endpoint\n" +
			"in this node's pod range (routes to veths and bridges) that no running pod has is\n" +
			"marked live=false.",
		Flags: append(selectorFlags(),
			&ucli.StringFlag{Name: "mode", Value: "auto", Usage: "kube-proxy mode to decode: auto, iptables, ipvs, nftables"},
		),
		Action: runServices,
	})
}

func runServices(c *ucli.Context) error {
	if c.NArg() > 1 {
		return usageErrorf("services takes at most one VIP[:PORT], got %d arguments", c.NArg())
	}
	var vip netip.Addr
	var port uint16
	if c.NArg() == 1 {
		var err error
		if vip, port, err = kubeproxy.ParseVIP(c.Args().First()); err != nil {
			return usageErrorf("%v", err)
		}
	}
	mode := c.String("mode")
	switch mode {
	case "auto", "iptables", "ipvs", "nftables":
	default:
		return usageErrorf("unknown --mode %q: use auto, iptables, ipvs or nftables", mode)
	}
	ns, pod, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	res, err := decodeServices(ns, globals(c).HostRoot, kubeproxy.Mode(mode))
	if err != nil {
		return err
	}
	if pod == nil {
		liveness(c, ns).Mark(res.Services)
	}
	res.Services = kubeproxy.Filter(res.Services, vip, port)
	e := envOf(c)
	if isJSON(c) {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "# kube-proxy mode: %s\n", res.Mode)
	t := newTable(e.stdout, "SERVICE", "TYPE", "FRONTEND", "PROTO", "POLICY", "ENDPOINTS")
	for _, s := range res.Services {
		front := ":" + strconv.Itoa(int(s.Port))
		if s.VIP.IsValid() {
			front = netip.AddrPortFrom(s.VIP, s.Port).String()
		}
		var eps []string
		for _, ep := range s.Endpoints {
			x := netip.AddrPortFrom(ep.IP, ep.Port).String()
			if ep.Weight != 1 {
				x += " w=" + strconv.FormatFloat(ep.Weight, 'f', -1, 64)
			}
			if !ep.Live {
				x += " (no such pod)"
			}
			eps = append(eps, x)
		}
		if len(eps) == 0 {
			eps = []string{"none"}
		}
		t.row(s.Name, s.Type, front, s.Protocol, s.TrafficPolicy, strings.Join(eps, ", "))
	}
	return t.flush()
}

// decodeServices reads kube-proxy's state in ns in the given mode, or finds
// the mode: nftables when table kube-proxy exists, ipvs when virtual servers
// exist, else iptables.
func decodeServices(ns *nsutil.NetNS, hostRoot string, mode kubeproxy.Mode) (*kubeproxy.Result, error) {
	var errs []error
	if mode == "auto" || mode == kubeproxy.ModeNFTables {
		rs, err := netstate.NFTDump(ns, "", "kube-proxy")
		if err == nil {
			var svcs []kubeproxy.Service
			for i := range rs.Tables {
				svcs = append(svcs, kubeproxy.DecodeNFTables(&rs.Tables[i])...)
			}
			return &kubeproxy.Result{Mode: kubeproxy.ModeNFTables, Services: nonNil(svcs)}, nil
		}
		if mode == kubeproxy.ModeNFTables {
			return nil, err
		}
		if !errors.Is(err, netstate.ErrNFTTableNotFound) {
			errs = append(errs, err)
		}
	}
	if mode == "auto" || mode == kubeproxy.ModeIPVS {
		st, err := netstate.IPVSDump(ns)
		switch {
		case err == nil && (len(st.Services) > 0 || mode == kubeproxy.ModeIPVS):
			return &kubeproxy.Result{Mode: kubeproxy.ModeIPVS, Services: kubeproxy.DecodeIPVS(st, ipvsAddresses(ns))}, nil
		case err != nil && mode == kubeproxy.ModeIPVS:
			return nil, err
		case err != nil && !errors.Is(err, netstate.ErrIPVSNotLoaded):
			errs = append(errs, err)
		}
	}
	_, sets, err := netstate.IPTablesBackends(ns, hostRoot)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	// The backend whose nat KUBE-SERVICES has the most rules is kube-proxy's.
	var best *netstate.IPTablesRuleset
	most := -1
	for _, b := range []netstate.IPTablesBackend{netstate.IPTablesNFT, netstate.IPTablesLegacy} {
		rs := sets[b]
		if rs == nil {
			continue
		}
		n := 0
		if nat := rs.Table("nat"); nat != nil {
			if ch := nat.Chain("KUBE-SERVICES"); ch != nil {
				n = len(ch.Rules) + 1
			}
		}
		if n > most {
			best, most = rs, n
		}
	}
	if best == nil || most <= 0 {
		return nil, fmt.Errorf("no kube-proxy rules found: no table kube-proxy in nftables, no IPVS virtual servers, no KUBE-SERVICES chain in iptables (is kube-proxy running, or does the CNI replace it, e.g. Cilium?)")
	}
	return &kubeproxy.Result{Mode: kubeproxy.ModeIPTables, Services: kubeproxy.DecodeIPTables(best)}, nil
}

func nonNil(s []kubeproxy.Service) []kubeproxy.Service {
	if s == nil {
		return []kubeproxy.Service{}
	}
	return s
}

// ipvsAddresses lists the addresses on kube-ipvs0, kube-proxy's dummy device.
func ipvsAddresses(ns *nsutil.NetNS) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	h, err := ns.NetlinkHandle()
	if err != nil {
		return out
	}
	defer h.Close()
	l, err := h.LinkByName("kube-ipvs0")
	if err != nil {
		return out
	}
	addrs, err := h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			out[ip.Unmap()] = true
		}
	}
	return out
}

// liveness collects the node's pod ranges (destinations of routes through
// veths and bridges in the node netns) and the IPs of the pods running.
// When the inventory cannot be read every endpoint counts as live.
func liveness(c *ucli.Context, ns *nsutil.NetNS) kubeproxy.Liveness {
	l := kubeproxy.Liveness{LiveIPs: map[netip.Addr]bool{}}
	inv, err := loadInventory(c)
	if err != nil {
		if globals(c).Verbose {
			fmt.Fprintf(envOf(c).stderr, "netdiag: warning: cannot list pods (%v): every endpoint is shown as live\n", err)
		}
		return l
	}
	if len(inv.Sources) == 0 {
		// Nothing answered (no runtime, no kubelet files): no way to tell.
		return l
	}
	for _, p := range inv.Pods {
		for _, s := range p.IPs {
			if ip, err := netip.ParseAddr(s); err == nil {
				l.LiveIPs[ip] = true
			}
		}
	}
	l.PodRanges = podRanges(ns)
	return l
}

func podRanges(ns *nsutil.NetNS) []netip.Prefix {
	h, err := ns.NetlinkHandle()
	if err != nil {
		return nil
	}
	defer h.Close()
	routes, err := h.RouteList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil
	}
	kinds := map[int]string{}
	var out []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil || r.LinkIndex == 0 {
			continue
		}
		k, ok := kinds[r.LinkIndex]
		if !ok {
			if l, err := h.LinkByIndex(r.LinkIndex); err == nil {
				k = l.Type()
			}
			kinds[r.LinkIndex] = k
		}
		if k != "veth" && k != "bridge" {
			continue
		}
		if p, ok := prefixOf(r.Dst); ok && p.Bits() > 0 {
			out = append(out, p)
		}
	}
	return out
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	ip, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(ip.Unmap(), ones).Masked(), true
}
