package kpgen

import (
	"fmt"
	"net/netip"
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// LabConfig is the node configuration of the lab: pods in 198.18.0.0/24,
// services in 198.18.200.0/24, the node at 198.18.100.1.
func LabConfig() Config {
	return Config{
		ClusterCIDR: netip.MustParsePrefix("198.18.0.0/24"),
		ServiceCIDR: netip.MustParsePrefix("198.18.200.0/24"),
		NodeIPs:     []netip.Addr{addr("198.18.100.1")},
	}
}

// LabServices are the services of the lab node: one reachable web service
// whose only endpoint is webIP:8080 (a real lab pod), and services with 0, 1
// and many endpoints, NodePorts, externalTrafficPolicy Local, an external IP
// and a load balancer with source ranges. All addresses are in 198.18.0.0/15.
func LabServices(webIP netip.Addr) []Service {
	return []Service{
		{Namespace: "default", Name: "web", PortName: "http", Protocol: "tcp", ClusterIP: addr("198.18.200.10"), Port: 80,
			Endpoints: []Endpoint{{IP: webIP, Port: 8080, Local: true}}},
		{Namespace: "kube-system", Name: "kube-dns", PortName: "dns", Protocol: "udp", ClusterIP: addr("198.18.200.53"), Port: 53,
			Endpoints: []Endpoint{{IP: addr("198.18.0.20"), Port: 53}, {IP: addr("198.18.0.21"), Port: 53}}},
		{Namespace: "kube-system", Name: "kube-dns", PortName: "dns-tcp", Protocol: "tcp", ClusterIP: addr("198.18.200.53"), Port: 53,
			Endpoints: []Endpoint{{IP: addr("198.18.0.20"), Port: 53}, {IP: addr("198.18.0.21"), Port: 53}}},
		{Namespace: "shop", Name: "cart", PortName: "grpc", Protocol: "tcp", ClusterIP: addr("198.18.200.20"), Port: 9000,
			Endpoints: []Endpoint{{IP: addr("198.18.0.30"), Port: 9000}, {IP: addr("198.18.0.31"), Port: 9000},
				{IP: addr("198.18.0.32"), Port: 9000}, {IP: addr("198.18.1.33"), Port: 9000}}},
		{Namespace: "shop", Name: "empty", PortName: "http", Protocol: "tcp", ClusterIP: addr("198.18.200.21"), Port: 80, NodePort: 30021},
		{Namespace: "shop", Name: "front", PortName: "http", Protocol: "tcp", ClusterIP: addr("198.18.200.22"), Port: 80, NodePort: 30080,
			Endpoints: []Endpoint{{IP: addr("198.18.0.40"), Port: 8080}, {IP: addr("198.18.1.41"), Port: 8080}}},
		{Namespace: "shop", Name: "local", PortName: "https", Protocol: "tcp", ClusterIP: addr("198.18.200.23"), Port: 443, NodePort: 30443,
			LocalPolicy: true, LoadBalancerIPs: []netip.Addr{addr("198.19.0.23")},
			Endpoints: []Endpoint{{IP: addr("198.18.0.50"), Port: 8443, Local: true}, {IP: addr("198.18.1.51"), Port: 8443}}},
		{Namespace: "shop", Name: "nolocal", PortName: "", Protocol: "tcp", ClusterIP: addr("198.18.200.24"), Port: 8080, NodePort: 30808,
			LocalPolicy: true, Endpoints: []Endpoint{{IP: addr("198.18.1.60"), Port: 8080}}},
		{Namespace: "shop", Name: "lb", PortName: "http", Protocol: "tcp", ClusterIP: addr("198.18.200.25"), Port: 80, NodePort: 30025,
			LoadBalancerIPs: []netip.Addr{addr("198.19.0.25")}, SourceRanges: []netip.Prefix{netip.MustParsePrefix("198.19.128.0/17")},
			ExternalIPs: []netip.Addr{addr("198.19.1.25")},
			Endpoints:   []Endpoint{{IP: addr("198.18.0.70"), Port: 80}}},
	}
}

// Synthetic returns nsvc service ports with neps endpoints spread over them
// (at least one each), for benchmarks. Addresses are in 198.18.0.0/15.
func Synthetic(nsvc, neps int) []Service {
	out := make([]Service, nsvc)
	for i := range out {
		out[i] = Service{
			Namespace: fmt.Sprintf("ns%d", i%50), Name: fmt.Sprintf("svc%d", i), PortName: "http", Protocol: "tcp",
			ClusterIP: netip.AddrFrom4([4]byte{198, 19, byte(i >> 8), byte(i)}), Port: 80,
		}
		if i%10 == 0 {
			out[i].NodePort = uint16(30000 + i%2768)
		}
	}
	for j := 0; j < neps; j++ {
		s := &out[j%nsvc]
		s.Endpoints = append(s.Endpoints, Endpoint{IP: netip.AddrFrom4([4]byte{198, 18, byte(j >> 8), byte(j)}), Port: 8080})
	}
	return out
}

// IPv6 returns the IPv6 half of a dual-stack node for cfg and svcs: every
// address mapped into 64:ff9b::/96 (so that it still names a lab address),
// without external and load balancer IPs, which the lab does not give IPv6.
func IPv6(cfg Config, svcs []Service) (Config, []Service) {
	cfg.ClusterCIDR = netip.PrefixFrom(NAT64(cfg.ClusterCIDR.Addr()), 96+cfg.ClusterCIDR.Bits())
	cfg.ServiceCIDR = netip.PrefixFrom(NAT64(cfg.ServiceCIDR.Addr()), 96+cfg.ServiceCIDR.Bits())
	var out []Service
	for _, s := range svcs {
		s.ClusterIP = NAT64(s.ClusterIP)
		var eps []Endpoint
		for _, e := range s.Endpoints {
			e.IP = NAT64(e.IP)
			eps = append(eps, e)
		}
		s.Endpoints = eps
		s.ExternalIPs, s.LoadBalancerIPs, s.SourceRanges = nil, nil, nil
		out = append(out, s)
	}
	return cfg, out
}

// NAT64 maps an IPv4 address into 64:ff9b::/96.
func NAT64(a netip.Addr) netip.Addr {
	b := [16]byte{0, 0x64, 0xff, 0x9b}
	v4 := a.As4()
	copy(b[12:], v4[:])
	return netip.AddrFrom16(b)
}

// ShapeServices are the service shapes whose rules differ in kube-proxy:
// ClusterIP with several endpoints, externalTrafficPolicy Local with and
// without local endpoints, external IPs, a load balancer with source ranges
// that hold the node IP and ClientIP affinity, a service without endpoints
// (REJECT), internalTrafficPolicy Local with and without local endpoints
// (DROP), and one service with UDP, TCP and SCTP ports. Addresses are in
// 198.18.0.0/15; the node is LabConfig's 198.18.100.1.
func ShapeServices() []Service {
	ep := func(ip string, port uint16, local bool) Endpoint {
		return Endpoint{IP: addr(ip), Port: port, Local: local}
	}
	return []Service{
		{Namespace: "ns1", Name: "svc1", PortName: "p80", Protocol: "tcp", ClusterIP: addr("198.18.201.1"), Port: 80,
			Endpoints: []Endpoint{ep("198.18.0.11", 8080, true), ep("198.18.1.12", 8080, false), ep("198.18.2.13", 8080, false)}},
		{Namespace: "ns2", Name: "svc2", PortName: "p80", Protocol: "tcp", ClusterIP: addr("198.18.201.2"), Port: 80, NodePort: 30002,
			LocalPolicy: true, HealthCheckNodePort: 30000, ExternalIPs: []netip.Addr{addr("198.19.1.2")}, LoadBalancerIPs: []netip.Addr{addr("198.19.0.2")},
			Endpoints: []Endpoint{ep("198.18.1.21", 80, false)}},
		{Namespace: "ns3", Name: "svc3", PortName: "p80", Protocol: "tcp", ClusterIP: addr("198.18.201.3"), Port: 80, NodePort: 30003,
			LocalPolicy: true, HealthCheckNodePort: 30013,
			Endpoints: []Endpoint{ep("198.18.0.31", 80, true), ep("198.18.1.32", 80, false)}},
		{Namespace: "ns4", Name: "svc4", PortName: "p80", Protocol: "tcp", ClusterIP: addr("198.18.201.4"), Port: 80,
			ExternalIPs: []netip.Addr{addr("198.19.1.4")},
			Endpoints:   []Endpoint{ep("198.18.0.41", 80, true), ep("198.18.1.42", 80, false)}},
		{Namespace: "ns5", Name: "svc5", PortName: "p80", Protocol: "tcp", ClusterIP: addr("198.18.201.5"), Port: 80, NodePort: 30005,
			LoadBalancerIPs: []netip.Addr{addr("198.19.0.5"), addr("198.19.0.6")},
			SourceRanges:    []netip.Prefix{netip.MustParsePrefix("198.19.128.0/25"), netip.MustParsePrefix("198.18.100.0/24")},
			Affinity:        10800,
			Endpoints:       []Endpoint{ep("198.18.0.51", 80, true), ep("198.18.1.52", 80, false)}},
		{Namespace: "ns6", Name: "svc6", PortName: "p80", Protocol: "tcp", ClusterIP: addr("198.18.201.6"), Port: 80, NodePort: 30006,
			ExternalIPs: []netip.Addr{addr("198.19.1.6")}},
		{Namespace: "ns7", Name: "svc7", Protocol: "tcp", ClusterIP: addr("198.18.201.7"), Port: 80, InternalLocal: true,
			Endpoints: []Endpoint{ep("198.18.1.71", 80, false)}},
		{Namespace: "ns8", Name: "svc8", PortName: "http", Protocol: "tcp", ClusterIP: addr("198.18.201.8"), Port: 80, InternalLocal: true,
			Endpoints: []Endpoint{ep("198.18.0.81", 8080, true), ep("198.18.1.82", 8080, false)}},
		{Namespace: "ns9", Name: "svc9", PortName: "dns", Protocol: "udp", ClusterIP: addr("198.18.201.9"), Port: 53, Affinity: 600,
			Endpoints: []Endpoint{ep("198.18.0.91", 5353, true), ep("198.18.1.92", 5353, false)}},
		{Namespace: "ns9", Name: "svc9", PortName: "dns-tcp", Protocol: "tcp", ClusterIP: addr("198.18.201.9"), Port: 53,
			Endpoints: []Endpoint{ep("198.18.0.91", 5353, true), ep("198.18.1.92", 5353, false)}},
		{Namespace: "ns9", Name: "svc9", PortName: "sig", Protocol: "sctp", ClusterIP: addr("198.18.201.9"), Port: 9999,
			Endpoints: []Endpoint{ep("198.18.0.91", 9999, true)}},
	}
}
