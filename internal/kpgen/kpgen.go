package kpgen

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/netip"
	"strings"
)

// Endpoint is one backend of a service port.
type Endpoint struct {
	IP    netip.Addr
	Port  uint16
	Local bool // on this node: used by externalTrafficPolicy Local
}

// Service is one port of a Kubernetes service, as kube-proxy sees it.
type Service struct {
	Namespace, Name, PortName string
	Protocol                  string // "tcp" or "udp"
	ClusterIP                 netip.Addr
	Port                      uint16
	NodePort                  uint16       // 0: none
	ExternalIPs               []netip.Addr // spec.externalIPs
	LoadBalancerIPs           []netip.Addr // status.loadBalancer.ingress
	SourceRanges              []netip.Prefix
	LocalPolicy               bool // externalTrafficPolicy: Local
	InternalLocal             bool // internalTrafficPolicy: Local
	Affinity                  int  // sessionAffinity ClientIP with this timeout in seconds; 0: None
	HealthCheckNodePort       uint16
	Endpoints                 []Endpoint
}

// PortNameString is "ns/name:port", kube-proxy's ServicePortName.String().
func (s Service) PortNameString() string {
	if s.PortName == "" {
		return s.Namespace + "/" + s.Name
	}
	return s.Namespace + "/" + s.Name + ":" + s.PortName
}

// Type is the Kubernetes service type these fields imply.
func (s Service) Type() string {
	switch {
	case len(s.LoadBalancerIPs) > 0:
		return "LoadBalancer"
	case s.NodePort != 0:
		return "NodePort"
	}
	return "ClusterIP"
}

func (s Service) hasExternal() bool {
	return s.NodePort != 0 || len(s.ExternalIPs) > 0 || len(s.LoadBalancerIPs) > 0
}

func (s Service) localEndpoints() []Endpoint {
	var out []Endpoint
	for _, e := range s.Endpoints {
		if e.Local {
			out = append(out, e)
		}
	}
	return out
}

// plan is what kube-proxy decides for one service port before writing rules
// (its CategorizeEndpoints and the flags of syncProxyRules).
type plan struct {
	cluster, local, reachable []Endpoint
	hasEndpoints              bool
	hasInternal, hasExternal  bool
	usesCluster, usesLocal    bool
	usesExt                   bool
	internalLocal             bool
	externalLocal             bool
}

func planFor(s Service) plan {
	var p plan
	p.externalLocal = s.LocalPolicy && s.hasExternal()
	p.internalLocal = s.InternalLocal
	usesClusterEps := !s.InternalLocal || s.hasExternal()
	usesLocalEps := s.InternalLocal || p.externalLocal
	if usesClusterEps {
		p.cluster = s.Endpoints
	}
	if usesLocalEps {
		p.local = s.localEndpoints()
	}
	p.hasEndpoints = len(s.Endpoints) > 0
	switch {
	case !usesLocalEps:
		p.reachable = p.cluster
	case !usesClusterEps:
		p.reachable = p.local
	default:
		p.reachable = p.cluster
	}
	p.usesCluster = len(p.cluster) > 0
	p.usesLocal = len(p.local) > 0
	p.hasInternal = p.hasEndpoints && (!p.internalLocal || len(p.local) > 0)
	p.hasExternal = p.hasEndpoints && (!p.externalLocal || len(p.local) > 0)
	p.usesExt = p.hasEndpoints && s.hasExternal()
	return p
}

// Config is the node-wide part of kube-proxy's configuration.
type Config struct {
	ClusterCIDR  netip.Prefix // --cluster-cidr: traffic from outside it is masqueraded
	ServiceCIDR  netip.Prefix // nftables mode drops traffic to unallocated ClusterIPs in it
	NodeIPs      []netip.Addr // nftables mode: nodeport-ips
	MasqueradeMk string       // "0x4000" when empty
}

func (c Config) mark() string {
	if c.MasqueradeMk == "" {
		return "0x4000"
	}
	return c.MasqueradeMk
}

// portProtoHash is kube-proxy's chain hash: base32(sha256(name + proto))[:16].
func portProtoHash(s, proto string) string {
	h := sha256.Sum256([]byte(s + proto))
	return base32.StdEncoding.EncodeToString(h[:])[:16]
}

// SVCChain is the KUBE-SVC- chain of a service port.
func SVCChain(s Service) string { return "KUBE-SVC-" + portProtoHash(s.PortNameString(), s.Protocol) }

// SVLChain is the KUBE-SVL- chain (local endpoints only).
func SVLChain(s Service) string { return "KUBE-SVL-" + portProtoHash(s.PortNameString(), s.Protocol) }

// EXTChain is the KUBE-EXT- chain (external destinations).
func EXTChain(s Service) string { return "KUBE-EXT-" + portProtoHash(s.PortNameString(), s.Protocol) }

// FWChain is the KUBE-FW- chain (loadBalancerSourceRanges).
func FWChain(s Service) string { return "KUBE-FW-" + portProtoHash(s.PortNameString(), s.Protocol) }

// SEPChain is the KUBE-SEP- chain of one endpoint.
func SEPChain(s Service, e Endpoint) string {
	h := sha256.Sum256([]byte(s.PortNameString() + s.Protocol + epString(e)))
	return "KUBE-SEP-" + base32.StdEncoding.EncodeToString(h[:])[:16]
}

// host is a single address as iptables-save prints it: a /32 or /128.
func host(ip netip.Addr) string { return netip.PrefixFrom(ip, ip.BitLen()).String() }

func epString(e Endpoint) string { return netip.AddrPortFrom(e.IP, e.Port).String() }

func quote(s string) string {
	if strings.ContainsAny(s, " \t\"'") {
		return `"` + s + `"`
	}
	return s
}

// IPTables returns iptables-restore input for the filter and nat tables, the
// rules kube-proxy's iptables mode writes (the layout of kube-proxy 1.28 to
// 1.34: syncProxyRules), including the jumps from the built-in chains that
// kube-proxy ensures one by one. Localhost NodePorts (nfacct) are left out.
func IPTables(cfg Config, svcs []Service) string {
	var f, n strings.Builder
	var fch, nch strings.Builder
	mark := cfg.mark()
	cl := cfg.ClusterCIDR.String()

	fch.WriteString("*filter\n")
	for _, c := range []string{"KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL"} {
		fmt.Fprintf(&fch, ":%s - [0:0]\n", c)
	}
	f.WriteString(`-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
`)

	nch.WriteString("*nat\n")
	for _, c := range []string{"KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"} {
		fmt.Fprintf(&nch, ":%s - [0:0]\n", c)
	}
	n.WriteString(`-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
`)
	fmt.Fprintf(&n, "-A KUBE-POSTROUTING -m mark ! --mark %s/%s -j RETURN\n", mark, mark)
	fmt.Fprintf(&n, "-A KUBE-POSTROUTING -j MARK --xor-mark %s\n", mark)
	n.WriteString("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n")
	fmt.Fprintf(&n, "-A KUBE-MARK-MASQ -j MARK --or-mark %s\n", mark)

	var svcRules, nodeportRules strings.Builder
	for _, s := range svcs {
		name := s.PortNameString()
		p := s.Protocol
		pl := planFor(s)
		svc, svl, ext, fw := SVCChain(s), SVLChain(s), EXTChain(s), FWChain(s)
		internalChain := svc
		if pl.internalLocal {
			internalChain = svl
		}
		externalPolicy := svc
		if pl.externalLocal {
			externalPolicy = svl
		}
		usesFW := pl.hasEndpoints && len(s.LoadBalancerIPs) > 0 && len(s.SourceRanges) > 0
		lbTarget := ext
		if usesFW {
			lbTarget = fw
		}
		var intTarget, intComment, extTarget, extComment string
		if !pl.hasEndpoints {
			intTarget, intComment = "REJECT", name+" has no endpoints"
			extTarget, extComment = intTarget, intComment
		} else {
			if !pl.hasInternal {
				intTarget, intComment = "DROP", name+" has no local endpoints"
			}
			if !pl.hasExternal {
				extTarget, extComment = "DROP", name+" has no local endpoints"
			}
		}
		// dst writes " -m PROTO -p PROTO -d IP --dport PORT", kube-proxy's order.
		dst := func(ip netip.Addr, port uint16) string {
			return fmt.Sprintf(" -m %s -p %s -d %s --dport %d", p, p, ip, port)
		}
		if pl.hasInternal {
			fmt.Fprintf(&svcRules, "-A KUBE-SERVICES -m comment --comment %s%s -j %s\n", quote(name+" cluster IP"), dst(s.ClusterIP, s.Port), internalChain)
		} else {
			fmt.Fprintf(&f, "-A KUBE-SERVICES -m comment --comment %s%s -j %s\n", quote(intComment), dst(s.ClusterIP, s.Port), intTarget)
		}
		for _, ip := range s.ExternalIPs {
			if pl.hasEndpoints {
				fmt.Fprintf(&svcRules, "-A KUBE-SERVICES -m comment --comment %s%s -j %s\n", quote(name+" external IP"), dst(ip, s.Port), ext)
			}
			if !pl.hasExternal {
				fmt.Fprintf(&f, "-A KUBE-EXTERNAL-SERVICES -m comment --comment %s%s -j %s\n", quote(extComment), dst(ip, s.Port), extTarget)
			}
		}
		for _, ip := range s.LoadBalancerIPs {
			if pl.hasEndpoints {
				fmt.Fprintf(&svcRules, "-A KUBE-SERVICES -m comment --comment %s%s -j %s\n", quote(name+" loadbalancer IP"), dst(ip, s.Port), lbTarget)
			}
			if usesFW {
				fmt.Fprintf(&f, "-A KUBE-PROXY-FIREWALL -m comment --comment %s%s -j DROP\n", quote(name+" traffic not accepted by "+fw), dst(ip, s.Port))
			}
		}
		if !pl.hasExternal {
			for _, ip := range s.LoadBalancerIPs {
				fmt.Fprintf(&f, "-A KUBE-EXTERNAL-SERVICES -m comment --comment %s%s -j %s\n", quote(extComment), dst(ip, s.Port), extTarget)
			}
		}
		if s.NodePort != 0 {
			if pl.hasEndpoints {
				fmt.Fprintf(&nodeportRules, "-A KUBE-NODEPORTS -m comment --comment %s -m %s -p %s --dport %d -j %s\n", quote(name), p, p, s.NodePort, ext)
			}
			if !pl.hasExternal {
				fmt.Fprintf(&f, "-A KUBE-EXTERNAL-SERVICES -m comment --comment %s -m addrtype --dst-type LOCAL -m %s -p %s --dport %d -j %s\n", quote(extComment), p, p, s.NodePort, extTarget)
			}
		}
		if s.HealthCheckNodePort != 0 {
			fmt.Fprintf(&f, "-A KUBE-NODEPORTS -m comment --comment %s -m tcp -p tcp --dport %d -j ACCEPT\n", quote(name+" health check node port"), s.HealthCheckNodePort)
		}

		if pl.hasInternal && cfg.ClusterCIDR.IsValid() {
			fmt.Fprintf(&n, "-A %s -m comment --comment %s%s ! -s %s -j KUBE-MARK-MASQ\n", internalChain, quote(name+" cluster IP"), dst(s.ClusterIP, s.Port), cl)
		}
		if pl.usesExt {
			fmt.Fprintf(&nch, ":%s - [0:0]\n", ext)
			if !pl.externalLocal {
				fmt.Fprintf(&n, "-A %s -m comment --comment %s -j KUBE-MARK-MASQ\n", ext, quote("masquerade traffic for "+name+" external destinations"))
			} else {
				if cfg.ClusterCIDR.IsValid() {
					fmt.Fprintf(&n, "-A %s -m comment --comment %s -s %s -j %s\n", ext, quote("pod traffic for "+name+" external destinations"), cl, svc)
				}
				fmt.Fprintf(&n, "-A %s -m comment --comment %s -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ\n", ext, quote("masquerade LOCAL traffic for "+name+" external destinations"))
				fmt.Fprintf(&n, "-A %s -m comment --comment %s -m addrtype --src-type LOCAL -j %s\n", ext, quote("route LOCAL traffic for "+name+" external destinations"), svc)
			}
			if pl.hasExternal {
				fmt.Fprintf(&n, "-A %s -j %s\n", ext, externalPolicy)
			}
		}
		if usesFW {
			fmt.Fprintf(&nch, ":%s - [0:0]\n", fw)
			allowFromNode := false
			for _, r := range s.SourceRanges {
				fmt.Fprintf(&n, "-A %s -m comment --comment %s -s %s -j %s\n", fw, quote(name+" loadbalancer IP"), r, ext)
				for _, ip := range cfg.NodeIPs {
					allowFromNode = allowFromNode || r.Contains(ip)
				}
			}
			if allowFromNode {
				for _, ip := range s.LoadBalancerIPs {
					fmt.Fprintf(&n, "-A %s -m comment --comment %s -s %s -j %s\n", fw, quote(name+" loadbalancer IP"), ip, ext)
				}
			}
			fmt.Fprintf(&n, "-A %s -m comment --comment %s\n", fw, quote("other traffic to "+name+" will be dropped by KUBE-PROXY-FIREWALL"))
		}
		if pl.usesCluster {
			fmt.Fprintf(&nch, ":%s - [0:0]\n", svc)
			writeBalance(&n, s, svc, pl.cluster)
		}
		if pl.usesLocal {
			fmt.Fprintf(&nch, ":%s - [0:0]\n", svl)
			writeBalance(&n, s, svl, pl.local)
		}
		for _, e := range pl.reachable {
			sep := SEPChain(s, e)
			fmt.Fprintf(&nch, ":%s - [0:0]\n", sep)
			fmt.Fprintf(&n, "-A %s -m comment --comment %s -s %s -j KUBE-MARK-MASQ\n", sep, quote(name), e.IP)
			aff := ""
			if s.Affinity > 0 {
				aff = " -m recent --name " + sep + " --set"
			}
			fmt.Fprintf(&n, "-A %s -m comment --comment %s%s -m %s -p %s -j DNAT --to-destination %s\n", sep, quote(name), aff, p, p, epString(e))
		}
	}
	n.WriteString(svcRules.String())
	n.WriteString("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n")
	n.WriteString(nodeportRules.String())
	f.WriteString("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n")
	fmt.Fprintf(&f, "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark %s/%s -j ACCEPT\n", mark, mark)
	f.WriteString("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n")
	return fch.String() + f.String() + "COMMIT\n" + nch.String() + n.String() + "COMMIT\n"
}

// writeBalance writes kube-proxy's statistic rules: endpoint i of n matches with
// probability 1/(n-i), printed with ten decimals; the last matches always.
func writeBalance(b *strings.Builder, s Service, chain string, eps []Endpoint) {
	name := s.PortNameString()
	if s.Affinity > 0 {
		// Session affinity first: a client seen within the timeout goes
		// back to its endpoint.
		for _, e := range eps {
			sep := SEPChain(s, e)
			fmt.Fprintf(b, "-A %s -m comment --comment %s -m recent --name %s --rcheck --seconds %d --reap -j %s\n",
				chain, quote(name+" -> "+epString(e)), sep, s.Affinity, sep)
		}
	}
	for i, e := range eps {
		stat := ""
		if left := len(eps) - i; left > 1 {
			stat = fmt.Sprintf(" -m statistic --mode random --probability %0.10f", 1.0/float64(left))
		}
		fmt.Fprintf(b, "-A %s -m comment --comment %s%s -j %s\n", chain, quote(name+" -> "+epString(e)), stat, SEPChain(s, e))
	}
}
