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
// rules kube-proxy's iptables mode writes (kube-proxy 1.28+ layout), including
// the jumps from the built-in chains.
func IPTables(cfg Config, svcs []Service) string {
	var f, n strings.Builder
	var fch, nch strings.Builder
	mark := cfg.mark()
	cl := cfg.ClusterCIDR.String()

	fch.WriteString("*filter\n")
	for _, c := range []string{"KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL", "KUBE-SERVICES"} {
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
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
`)
	fmt.Fprintf(&f, "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark %s/%s -j ACCEPT\n", mark, mark)
	f.WriteString("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n")

	nch.WriteString("*nat\n")
	for _, c := range []string{"KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES"} {
		fmt.Fprintf(&nch, ":%s - [0:0]\n", c)
	}
	n.WriteString(`-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
`)
	fmt.Fprintf(&n, "-A KUBE-MARK-MASQ -j MARK --or-mark %s\n", mark)
	fmt.Fprintf(&n, "-A KUBE-POSTROUTING -m mark ! --mark %s/%s -j RETURN\n", mark, mark)
	fmt.Fprintf(&n, "-A KUBE-POSTROUTING -j MARK --xor-mark %s\n", mark)
	n.WriteString("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n")

	var svcRules, nodeportRules strings.Builder
	for _, s := range svcs {
		name := s.PortNameString()
		p := s.Protocol
		vip := host(s.ClusterIP)
		reject := "icmp-port-unreachable"
		if s.ClusterIP.Is6() {
			reject = "icmp6-port-unreachable"
		}
		if len(s.Endpoints) == 0 {
			fmt.Fprintf(&f, "-A KUBE-SERVICES -d %s -p %s -m comment --comment %s -m %s --dport %d -j REJECT --reject-with %s\n",
				vip, p, quote(name+" has no endpoints"), p, s.Port, reject)
			for _, ip := range append(append([]netip.Addr(nil), s.ExternalIPs...), s.LoadBalancerIPs...) {
				fmt.Fprintf(&f, "-A KUBE-EXTERNAL-SERVICES -d %s -p %s -m comment --comment %s -m %s --dport %d -j REJECT --reject-with %s\n",
					host(ip), p, quote(name+" has no endpoints"), p, s.Port, reject)
			}
			if s.NodePort != 0 {
				fmt.Fprintf(&f, "-A KUBE-EXTERNAL-SERVICES -p %s -m comment --comment %s -m addrtype --dst-type LOCAL -m %s --dport %d -j REJECT --reject-with %s\n",
					p, quote(name+" has no endpoints"), p, s.NodePort, reject)
			}
			continue
		}
		svc, ext := SVCChain(s), EXTChain(s)
		fmt.Fprintf(&nch, ":%s - [0:0]\n", svc)
		fmt.Fprintf(&svcRules, "-A KUBE-SERVICES -d %s -p %s -m comment --comment %s -m %s --dport %d -j %s\n",
			vip, p, quote(name+" cluster IP"), p, s.Port, svc)
		if s.hasExternal() {
			fmt.Fprintf(&nch, ":%s - [0:0]\n", ext)
			extTarget := ext
			if len(s.SourceRanges) > 0 {
				fw := FWChain(s)
				fmt.Fprintf(&nch, ":%s - [0:0]\n", fw)
				extTarget = fw
				for _, r := range s.SourceRanges {
					fmt.Fprintf(&n, "-A %s -s %s -m comment --comment %s -j %s\n", fw, r, quote(name+" loadbalancer IP"), ext)
				}
				fmt.Fprintf(&n, "-A %s -m comment --comment %s -j KUBE-MARK-DROP\n", fw, quote(name+" loadbalancer IP"))
			}
			for _, ip := range s.ExternalIPs {
				fmt.Fprintf(&svcRules, "-A KUBE-SERVICES -d %s -p %s -m comment --comment %s -m %s --dport %d -j %s\n",
					host(ip), p, quote(name+" external IP"), p, s.Port, ext)
			}
			for _, ip := range s.LoadBalancerIPs {
				fmt.Fprintf(&svcRules, "-A KUBE-SERVICES -d %s -p %s -m comment --comment %s -m %s --dport %d -j %s\n",
					host(ip), p, quote(name+" loadbalancer IP"), p, s.Port, extTarget)
			}
			if s.NodePort != 0 {
				fmt.Fprintf(&nodeportRules, "-A KUBE-NODEPORTS -p %s -m comment --comment %s -m %s --dport %d -j %s\n",
					p, quote(name), p, s.NodePort, ext)
			}
			if s.LocalPolicy {
				svl := SVLChain(s)
				fmt.Fprintf(&nch, ":%s - [0:0]\n", svl)
				fmt.Fprintf(&n, "-A %s -s %s -m comment --comment %s -j %s\n", ext, cl, quote("pod traffic for "+name+" external destinations"), svc)
				fmt.Fprintf(&n, "-A %s -m comment --comment %s -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ\n", ext, quote("masquerade LOCAL traffic for "+name+" external destinations"))
				fmt.Fprintf(&n, "-A %s -m comment --comment %s -m addrtype --src-type LOCAL -j %s\n", ext, quote("route LOCAL traffic for "+name+" external destinations"), svc)
				fmt.Fprintf(&n, "-A %s -j %s\n", ext, svl)
				local := s.localEndpoints()
				if len(local) == 0 {
					fmt.Fprintf(&n, "-A %s -m comment --comment %s -j KUBE-MARK-DROP\n", svl, quote(name+" has no local endpoints"))
				}
				writeBalance(&n, s, svl, local)
			} else {
				fmt.Fprintf(&n, "-A %s -m comment --comment %s -j KUBE-MARK-MASQ\n", ext, quote("masquerade traffic for "+name+" external destinations"))
				fmt.Fprintf(&n, "-A %s -j %s\n", ext, svc)
			}
		}
		fmt.Fprintf(&n, "-A %s ! -s %s -d %s -p %s -m comment --comment %s -m %s --dport %d -j KUBE-MARK-MASQ\n",
			svc, cl, vip, p, quote(name+" cluster IP"), p, s.Port)
		writeBalance(&n, s, svc, s.Endpoints)
		for _, e := range s.Endpoints {
			sep := SEPChain(s, e)
			fmt.Fprintf(&nch, ":%s - [0:0]\n", sep)
			fmt.Fprintf(&n, "-A %s -s %s -m comment --comment %s -j KUBE-MARK-MASQ\n", sep, host(e.IP), quote(name))
			fmt.Fprintf(&n, "-A %s -p %s -m comment --comment %s -m %s -j DNAT --to-destination %s\n", sep, p, quote(name), p, epString(e))
		}
	}
	n.WriteString(svcRules.String())
	n.WriteString("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n")
	n.WriteString(nodeportRules.String())
	if strings.Contains(n.String(), "KUBE-MARK-DROP") {
		nch.WriteString(":KUBE-MARK-DROP - [0:0]\n")
		n.WriteString("-A KUBE-MARK-DROP -j MARK --or-mark 0x8000\n")
	}
	return fch.String() + f.String() + "COMMIT\n" + nch.String() + n.String() + "COMMIT\n"
}

// writeBalance writes kube-proxy's statistic rules: endpoint i of n matches with
// probability 1/(n-i), printed with ten decimals; the last matches always.
func writeBalance(b *strings.Builder, s Service, chain string, eps []Endpoint) {
	name := s.PortNameString()
	for i, e := range eps {
		stat := ""
		if left := len(eps) - i; left > 1 {
			stat = fmt.Sprintf(" -m statistic --mode random --probability %0.10f", 1.0/float64(left))
		}
		fmt.Fprintf(b, "-A %s -m comment --comment %s%s -j %s\n", chain, quote(name+" -> "+epString(e)), stat, SEPChain(s, e))
	}
}
