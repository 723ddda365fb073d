package kpgen

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/netip"
	"strings"
)

// nftBase is kube-proxy's nftables chain name base: an 8-character hash, then
// the readable name (kube-proxy's hashAndTruncate).
func nftBase(name string) string {
	h := sha256.Sum256([]byte(name))
	return base32.StdEncoding.EncodeToString(h[:])[:8] + "-" + name
}

func nftSvcName(s Service) string {
	return s.Namespace + "/" + s.Name + "/" + s.Protocol + "/" + s.PortName
}

// NFTServiceChain is the service-… chain of a service port in nftables mode.
func NFTServiceChain(s Service) string { return "service-" + nftBase(nftSvcName(s)) }

// NFTLocalChain is the local-… chain (local endpoints only).
func NFTLocalChain(s Service) string { return "local-" + nftBase(nftSvcName(s)) }

// NFTExternalChain is the external-… chain.
func NFTExternalChain(s Service) string { return "external-" + nftBase(nftSvcName(s)) }

// NFTFirewallChain is the firewall-… chain.
func NFTFirewallChain(s Service) string { return "firewall-" + nftBase(nftSvcName(s)) }

// NFTEndpointChain is the endpoint-… chain of one endpoint.
func NFTEndpointChain(s Service, e Endpoint) string {
	return "endpoint-" + nftBase(nftSvcName(s)+"__"+e.IP.String()+"/"+fmt.Sprint(e.Port))
}

// NFTables returns `nft -f` input for table ip kube-proxy in kube-proxy's
// nftables-mode layout (kube-proxy 1.31+).
func NFTables(cfg Config, svcs []Service) string {
	var b strings.Builder
	mark := cfg.mark()
	cl := cfg.ClusterCIDR.String()
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`add table ip kube-proxy { comment "rules for kube-proxy" ; }`)
	w(`add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`)
	w(`add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`)
	w(`add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`)
	w(`add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`)
	w(`add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`)
	w(`add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`)
	w(`add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`)
	w(`add chain ip kube-proxy filter-prerouting { type filter hook prerouting priority -110 ; }`)
	w(`add chain ip kube-proxy filter-input { type filter hook input priority -110 ; }`)
	w(`add chain ip kube-proxy filter-forward { type filter hook forward priority -110 ; }`)
	w(`add chain ip kube-proxy filter-output { type filter hook output priority -110 ; }`)
	w(`add chain ip kube-proxy filter-output-post-dnat { type filter hook output priority -90 ; }`)
	w(`add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }`)
	w(`add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }`)
	w(`add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }`)
	for _, c := range []string{"cluster-ips-check", "firewall-check", "mark-for-masquerade", "masquerading", "nodeport-endpoints-check", "services", "service-endpoints-check"} {
		w("add chain ip kube-proxy %s", c)
	}
	w(`add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`)
	w("add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check")
	w("add rule ip kube-proxy filter-input ct state new jump service-endpoints-check")
	w("add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check")
	w("add rule ip kube-proxy filter-output ct state new jump service-endpoints-check")
	w("add rule ip kube-proxy filter-prerouting ct state new jump firewall-check")
	w("add rule ip kube-proxy filter-output ct state new jump firewall-check")
	w("add rule ip kube-proxy nat-output jump services")
	w("add rule ip kube-proxy nat-prerouting jump services")
	w("add rule ip kube-proxy nat-postrouting jump masquerading")
	w("add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check")
	w("add rule ip kube-proxy filter-output-post-dnat ct state new jump cluster-ips-check")
	w("add rule ip kube-proxy mark-for-masquerade mark set mark or %s", mark)
	w("add rule ip kube-proxy masquerading mark and %s == 0 return", mark)
	w("add rule ip kube-proxy masquerading mark set mark xor %s", mark)
	w("add rule ip kube-proxy masquerading masquerade fully-random")
	w(`add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`)
	if cfg.ServiceCIDR.IsValid() {
		w(`add rule ip kube-proxy cluster-ips-check ip daddr { %s } drop comment "Drop traffic to unallocated ClusterIPs"`, cfg.ServiceCIDR)
	}
	for _, ip := range cfg.NodeIPs {
		w("add element ip kube-proxy nodeport-ips { %s }", ip)
	}
	w("add rule ip kube-proxy reject-chain reject")
	w("add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services")
	w("add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports")
	w("add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips")
	w("add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips")
	w("add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports")

	for _, s := range svcs {
		name := s.PortNameString()
		p := s.Protocol
		w("# %s", name)
		w("add element ip kube-proxy cluster-ips { %s }", s.ClusterIP)
		externals := append(append([]netip.Addr(nil), s.ExternalIPs...), s.LoadBalancerIPs...)
		if len(s.Endpoints) == 0 {
			w(`add element ip kube-proxy no-endpoint-services { %s . %s . %d comment "%s" : goto reject-chain }`, s.ClusterIP, p, s.Port, name)
			for _, ip := range externals {
				w(`add element ip kube-proxy no-endpoint-services { %s . %s . %d comment "%s" : goto reject-chain }`, ip, p, s.Port, name)
			}
			if s.NodePort != 0 {
				w(`add element ip kube-proxy no-endpoint-nodeports { %s . %d comment "%s" : goto reject-chain }`, p, s.NodePort, name)
			}
			continue
		}
		svc := NFTServiceChain(s)
		// Chains first: a rule may only name chains that exist.
		w("add chain ip kube-proxy %s", svc)
		for _, e := range s.Endpoints {
			ep := NFTEndpointChain(s, e)
			w("add chain ip kube-proxy %s", ep)
			w("add rule ip kube-proxy %s ip saddr %s jump mark-for-masquerade", ep, e.IP)
			w("add rule ip kube-proxy %s meta l4proto %s dnat to %s", ep, p, epString(e))
		}
		w("add rule ip kube-proxy %s ip daddr %s ip saddr != %s jump mark-for-masquerade", svc, s.ClusterIP, cl)
		w("add rule ip kube-proxy %s %s", svc, numgen(s, s.Endpoints))
		w("add element ip kube-proxy service-ips { %s . %s . %d : goto %s }", s.ClusterIP, p, s.Port, svc)
		if !s.hasExternal() {
			continue
		}
		ext := NFTExternalChain(s)
		w("add chain ip kube-proxy %s", ext)
		if s.LocalPolicy {
			w(`add rule ip kube-proxy %s ip saddr %s goto %s comment "short-circuit pod traffic"`, ext, cl, svc)
			w(`add rule ip kube-proxy %s fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`, ext)
			w(`add rule ip kube-proxy %s fib saddr type local goto %s comment "short-circuit local traffic"`, ext, svc)
			local := s.localEndpoints()
			if len(local) > 0 {
				loc := NFTLocalChain(s)
				w("add chain ip kube-proxy %s", loc)
				w("add rule ip kube-proxy %s %s", loc, numgen(s, local))
				w("add rule ip kube-proxy %s goto %s", ext, loc)
			} else {
				for _, ip := range externals {
					w(`add element ip kube-proxy no-endpoint-services { %s . %s . %d comment "%s" : drop }`, ip, p, s.Port, name)
				}
				if s.NodePort != 0 {
					w(`add element ip kube-proxy no-endpoint-nodeports { %s . %d comment "%s" : drop }`, p, s.NodePort, name)
				}
			}
		} else {
			w("add rule ip kube-proxy %s jump mark-for-masquerade", ext)
			w("add rule ip kube-proxy %s goto %s", ext, svc)
		}
		for _, ip := range s.ExternalIPs {
			w("add element ip kube-proxy service-ips { %s . %s . %d : goto %s }", ip, p, s.Port, ext)
		}
		fw := NFTFirewallChain(s)
		if len(s.SourceRanges) > 0 && len(s.LoadBalancerIPs) > 0 {
			w("add chain ip kube-proxy %s", fw)
			var rs []string
			for _, r := range s.SourceRanges {
				rs = append(rs, r.String())
			}
			w("add rule ip kube-proxy %s ip saddr != { %s } drop", fw, strings.Join(rs, ", "))
		}
		for _, ip := range s.LoadBalancerIPs {
			w("add element ip kube-proxy service-ips { %s . %s . %d : goto %s }", ip, p, s.Port, ext)
			if len(s.SourceRanges) > 0 {
				w("add element ip kube-proxy firewall-ips { %s . %s . %d : goto %s }", ip, p, s.Port, fw)
			}
		}
		if s.NodePort != 0 {
			w("add element ip kube-proxy service-nodeports { %s . %d : goto %s }", p, s.NodePort, ext)
		}
	}
	return b.String()
}

func numgen(s Service, eps []Endpoint) string {
	parts := make([]string, len(eps))
	for i, e := range eps {
		parts[i] = fmt.Sprintf("%d : goto %s", i, NFTEndpointChain(s, e))
	}
	return fmt.Sprintf("numgen random mod %d vmap { %s }", len(eps), strings.Join(parts, " , "))
}
