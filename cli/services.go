package cli

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/kubeproxy"
	"github.com/netdiag/netdiag/node"
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
			"in this node's pod range (CNI configuration, routes to the pod bridge and veths, the\n" +
			"kubelet's pod CIDR) that no running pod has is marked live=false; one on a node address\n" +
			"is host network. POLICY shows a Local traffic policy, ClientIP session affinity and\n" +
			"its timeout, and loadBalancerSourceRanges. A frontend without endpoints says whether\n" +
			"kube-proxy rejects (the service has none) or drops (Local policy, none on this node).\n" +
			"Headless and ExternalName services have no kube-proxy rules and are not listed.",
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
		t.row(s.Name, s.Type, frontendString(s), s.Protocol, policyString(s), endpointsString(s))
	}
	return t.flush()
}

// frontendString is VIP:PORT; a NodePort listens on every local address of
// its family: 0.0.0.0:PORT or [::]:PORT.
func frontendString(s kubeproxy.Service) string {
	if s.VIP.IsValid() {
		return netip.AddrPortFrom(s.VIP, s.Port).String()
	}
	if s.IPFamily == kubeproxy.IPv6 {
		return "[::]:" + strconv.Itoa(int(s.Port))
	}
	return "0.0.0.0:" + strconv.Itoa(int(s.Port))
}

// policyString is the traffic policy, session affinity and source ranges.
func policyString(s kubeproxy.Service) string {
	var p []string
	if s.TrafficPolicy != "" {
		p = append(p, s.TrafficPolicy)
	}
	if s.SessionAffinity != "" {
		p = append(p, fmt.Sprintf("affinity=%s/%ds", s.SessionAffinity, s.SessionAffinityTimeout))
	}
	if len(s.SourceRanges) > 0 {
		p = append(p, "from="+strings.Join(s.SourceRanges, ","))
	}
	return strings.Join(p, " ")
}

func endpointsString(s kubeproxy.Service) string {
	var eps []string
	for _, ep := range s.Endpoints {
		x := netip.AddrPortFrom(ep.IP, ep.Port).String()
		if ep.Weight != 1 {
			x += " w=" + strconv.FormatFloat(ep.Weight, 'f', -1, 64)
		}
		switch {
		case ep.HostNetwork:
			x += " (host network)"
		case !ep.Live:
			x += " (no such pod)"
		}
		eps = append(eps, x)
	}
	if len(eps) > 0 {
		return strings.Join(eps, ", ")
	}
	switch s.NoEndpoints {
	case kubeproxy.NoEndpointsReject:
		return "none (rejects: no endpoints)"
	case kubeproxy.NoEndpointsDrop:
		return "none (drops: no local endpoints)"
	}
	return "none"
}

// liveness collects the node's pod ranges (what the CNI configuration,
// routes to the pod bridge and veths, and the kubelet state; never the
// cluster-wide range, which holds other nodes' pods), the node's own
// addresses (host-network endpoints) and the IPs of the pods running. When
// the inventory cannot be read every endpoint counts as live.
func liveness(c *ucli.Context, ns *nsutil.NetNS) kubeproxy.Liveness {
	addrs, nets := node.NodeAddrs(ns)
	inv, err := loadInventory(c)
	if err != nil {
		if globals(c).Verbose {
			fmt.Fprintf(envOf(c).stderr, "netdiag: warning: cannot list pods (%v): every endpoint is shown as live\n", err)
		}
		return kubeproxy.NodeLiveness(nil, nil, addrs, nets)
	}
	g := globals(c)
	ranges := node.NodeScope(node.PodRanges(ns, node.Options{HostRoot: g.HostRoot, NodeNetNS: g.NodeNetNS}))
	return kubeproxy.NodeLiveness(inv, ranges, addrs, nets)
}
