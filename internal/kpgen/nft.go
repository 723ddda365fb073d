package kpgen

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
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
	// Colons may not appear in chain names: kube-proxy writes IPv6 with dots.
	ip := strings.ReplaceAll(e.IP.String(), ":", ".")
	return "endpoint-" + nftBase(nftSvcName(s)+"__"+ip+"/"+fmt.Sprint(e.Port))
}

// NFTables returns `nft -f` input for table ip (or ip6, when the cluster CIDR
// is IPv6) kube-proxy in kube-proxy's nftables-mode layout (1.31 to 1.34:
// setupNFTables and syncProxyRules).
func NFTables(cfg Config, svcs []Service) string {
	var b strings.Builder
	mark := cfg.mark()
	cl := cfg.ClusterCIDR.String()
	fam, ipX, addrType := "ip", "ip", "ipv4_addr"
	if cfg.ClusterCIDR.Addr().Is6() {
		fam, ipX, addrType = "ip6", "ip6", "ipv6_addr"
	}
	w := func(format string, args ...any) {
		fmt.Fprintf(&b, strings.ReplaceAll(format, "TABLE", fam+" kube-proxy")+"\n", args...)
	}
	w(`add table TABLE { comment "rules for kube-proxy" ; }`)
	w(`add chain TABLE filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }`)
	w(`add chain TABLE filter-output-pre-dnat { type filter hook output priority -110 ; }`)
	w(`add chain TABLE filter-input { type filter hook input priority 0 ; }`)
	w(`add chain TABLE filter-forward { type filter hook forward priority 0 ; }`)
	w(`add chain TABLE filter-output { type filter hook output priority 0 ; }`)
	w(`add chain TABLE nat-prerouting { type nat hook prerouting priority -100 ; }`)
	w(`add chain TABLE nat-output { type nat hook output priority -100 ; }`)
	w(`add chain TABLE nat-postrouting { type nat hook postrouting priority 100 ; }`)
	for _, c := range []string{"nodeport-endpoints-check", "service-endpoints-check", "firewall-check", "services", "masquerading", "cluster-ips-check", "mark-for-masquerade"} {
		w("add chain TABLE %s", c)
	}
	w("add rule TABLE filter-input ct state new jump nodeport-endpoints-check")
	w("add rule TABLE filter-input ct state new jump service-endpoints-check")
	w("add rule TABLE filter-forward ct state new jump service-endpoints-check")
	w("add rule TABLE filter-output ct state new jump service-endpoints-check")
	w("add rule TABLE filter-prerouting-pre-dnat ct state new jump firewall-check")
	w("add rule TABLE filter-output-pre-dnat ct state new jump firewall-check")
	w("add rule TABLE nat-output jump services")
	w("add rule TABLE nat-prerouting jump services")
	w("add rule TABLE nat-postrouting jump masquerading")
	w("add rule TABLE filter-forward ct state new jump cluster-ips-check")
	w("add rule TABLE filter-output ct state new jump cluster-ips-check")
	w("add rule TABLE mark-for-masquerade mark set mark or %s", mark)
	w("add rule TABLE masquerading mark and %s == 0 return", mark)
	w("add rule TABLE masquerading mark set mark xor %s", mark)
	w("add rule TABLE masquerading masquerade fully-random")
	w(`add set TABLE cluster-ips { type %s ; comment "Active ClusterIPs" ; }`, addrType)
	w(`add rule TABLE cluster-ips-check %s daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`, ipX)
	if cfg.ServiceCIDR.IsValid() {
		w(`add rule TABLE cluster-ips-check %s daddr { %s } drop comment "Drop traffic to unallocated ClusterIPs"`, ipX, cfg.ServiceCIDR)
	}
	w(`add set TABLE nodeport-ips { type %s ; comment "IPs that accept NodePort traffic" ; }`, addrType)
	for _, ip := range cfg.NodeIPs {
		if ip.Is6() == (fam == "ip6") {
			w("add element TABLE nodeport-ips { %s }", ip)
		}
	}
	w(`add map TABLE no-endpoint-services { type %s . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`, addrType)
	w(`add map TABLE no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`)
	w(`add chain TABLE reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`)
	w("add rule TABLE reject-chain reject")
	w("add rule TABLE service-endpoints-check %s daddr . meta l4proto . th dport vmap @no-endpoint-services", ipX)
	w("add rule TABLE nodeport-endpoints-check %s daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports", ipX)
	w(`add map TABLE firewall-ips { type %s . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`, addrType)
	w("add rule TABLE firewall-check %s daddr . meta l4proto . th dport vmap @firewall-ips", ipX)
	w(`add map TABLE service-ips { type %s . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`, addrType)
	w(`add map TABLE service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`)
	w("add rule TABLE services %s daddr . meta l4proto . th dport vmap @service-ips", ipX)
	w("add rule TABLE services %s daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports", ipX)

	for _, s := range svcs {
		name := s.PortNameString()
		p := s.Protocol
		pl := planFor(s)
		svc, loc, ext, fw := NFTServiceChain(s), NFTLocalChain(s), NFTExternalChain(s), NFTFirewallChain(s)
		internalChain, externalPolicy := svc, svc
		if pl.internalLocal {
			internalChain = loc
		}
		if pl.externalLocal {
			externalPolicy = loc
		}
		intVerdict, extVerdict := "", ""
		if !pl.hasEndpoints {
			intVerdict, extVerdict = "goto reject-chain", "goto reject-chain"
		} else {
			if !pl.hasInternal {
				intVerdict = "drop"
			}
			if !pl.hasExternal {
				extVerdict = "drop"
			}
		}
		w("# %s", name)
		// Chains first: a rule or element may only name chains that exist.
		for _, e := range pl.reachable {
			w("add chain TABLE %s", NFTEndpointChain(s, e))
		}
		if pl.usesCluster {
			w("add chain TABLE %s", svc)
		}
		if pl.usesLocal {
			w("add chain TABLE %s", loc)
		}
		if pl.usesExt {
			w("add chain TABLE %s", ext)
		}
		usesFW := len(s.LoadBalancerIPs) > 0 && len(s.SourceRanges) > 0
		if usesFW {
			w("add chain TABLE %s", fw)
		}
		if s.Affinity > 0 {
			for _, e := range pl.reachable {
				w("add set TABLE %s { type %s ; flags dynamic,timeout ; timeout %ds ; }", nftAffinitySet(s, e), addrType, s.Affinity)
			}
		}

		w("add element TABLE cluster-ips { %s }", s.ClusterIP)
		if pl.hasInternal {
			w("add element TABLE service-ips { %s . %s . %d : goto %s }", s.ClusterIP, p, s.Port, internalChain)
		} else {
			w(`add element TABLE no-endpoint-services { %s . %s . %d comment "%s" : %s }`, s.ClusterIP, p, s.Port, name, intVerdict)
		}
		for _, ip := range s.ExternalIPs {
			if pl.hasEndpoints {
				w("add element TABLE service-ips { %s . %s . %d : goto %s }", ip, p, s.Port, ext)
			}
			if !pl.hasExternal {
				w(`add element TABLE no-endpoint-services { %s . %s . %d comment "%s" : %s }`, ip, p, s.Port, name, extVerdict)
			}
		}
		for _, ip := range s.LoadBalancerIPs {
			if pl.hasEndpoints {
				w("add element TABLE service-ips { %s . %s . %d : goto %s }", ip, p, s.Port, ext)
			}
			if usesFW {
				w("add element TABLE firewall-ips { %s . %s . %d : goto %s }", ip, p, s.Port, fw)
			}
		}
		if !pl.hasExternal {
			for _, ip := range s.LoadBalancerIPs {
				w(`add element TABLE no-endpoint-services { %s . %s . %d comment "%s" : %s }`, ip, p, s.Port, name, extVerdict)
			}
		}
		if s.NodePort != 0 {
			if pl.hasEndpoints {
				w("add element TABLE service-nodeports { %s . %d : goto %s }", p, s.NodePort, ext)
			}
			if !pl.hasExternal {
				w(`add element TABLE no-endpoint-nodeports { %s . %d comment "%s" : %s }`, p, s.NodePort, name, extVerdict)
			}
		}

		if pl.hasInternal && cfg.ClusterCIDR.IsValid() {
			w("add rule TABLE %s %s daddr %s %s saddr != %s jump mark-for-masquerade", internalChain, ipX, s.ClusterIP, ipX, cl)
		}
		if pl.usesExt {
			if !pl.externalLocal {
				w("add rule TABLE %s jump mark-for-masquerade", ext)
			} else {
				if cfg.ClusterCIDR.IsValid() {
					w(`add rule TABLE %s %s saddr %s goto %s comment "short-circuit pod traffic"`, ext, ipX, cl, svc)
				}
				w(`add rule TABLE %s fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`, ext)
				w(`add rule TABLE %s fib saddr type local goto %s comment "short-circuit local traffic"`, ext, svc)
			}
			if pl.hasExternal {
				w("add rule TABLE %s goto %s", ext, externalPolicy)
			}
		}
		if usesFW {
			var rs []string
			allowFromNode := false
			for _, r := range s.SourceRanges {
				rs = append(rs, r.String())
				for _, ip := range cfg.NodeIPs {
					allowFromNode = allowFromNode || r.Contains(ip)
				}
			}
			if allowFromNode {
				for _, ip := range s.LoadBalancerIPs {
					rs = append(rs, ip.String())
				}
			}
			w("add rule TABLE %s %s saddr != { %s } drop", fw, ipX, strings.Join(rs, ", "))
		}
		if pl.usesCluster {
			writeNFTBalance(w, s, svc, ipX, pl.cluster)
		}
		if pl.usesLocal {
			writeNFTBalance(w, s, loc, ipX, pl.local)
		}
		for _, e := range pl.reachable {
			ep := NFTEndpointChain(s, e)
			w("add rule TABLE %s %s saddr %s jump mark-for-masquerade", ep, ipX, e.IP)
			if s.Affinity > 0 {
				w("add rule TABLE %s update @%s { %s saddr }", ep, nftAffinitySet(s, e), ipX)
			}
			w("add rule TABLE %s meta l4proto %s dnat to %s", ep, p, epString(e))
		}
	}
	return b.String()
}

// nftAffinitySet is the affinity-… set of one endpoint (ClientIP affinity).
func nftAffinitySet(s Service, e Endpoint) string {
	return "affinity-" + strings.TrimPrefix(NFTEndpointChain(s, e), "endpoint-")
}

func writeNFTBalance(w func(string, ...any), s Service, chain, ipX string, eps []Endpoint) {
	if s.Affinity > 0 {
		for _, e := range eps {
			w("add rule TABLE %s %s saddr @%s goto %s", chain, ipX, nftAffinitySet(s, e), NFTEndpointChain(s, e))
		}
	}
	w("add rule TABLE %s %s", chain, numgen(s, eps))
}

func numgen(s Service, eps []Endpoint) string {
	parts := make([]string, len(eps))
	for i, e := range eps {
		parts[i] = fmt.Sprintf("%d : goto %s", i, NFTEndpointChain(s, e))
	}
	return fmt.Sprintf("numgen random mod %d vmap { %s }", len(eps), strings.Join(parts, " , "))
}
