package cli

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/kubeproxy"
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
	res, err := kubeproxy.Load(ns, globals(c).HostRoot, kubeproxy.Mode(mode), nil)
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
	for _, n := range res.Notes {
		fmt.Fprintf(e.stdout, "# netdiag: %s\n", n)
	}
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
	l.PodRanges = kubeproxy.PodRanges(ns)
	return l
}
