package kubeproxy

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/ipvs"
	"github.com/netdiag/netdiag/node"
)

// expected lists the frontends the generator wrote for svcs, with the
// endpoints kube-proxy sends each to, in the given mode: what kube-proxy's
// syncProxyRules decides, said again independently of the generator.
func expected(svcs []kpgen.Service, mode Mode) []Service {
	var out []Service
	eps := func(in []kpgen.Endpoint) []Endpoint {
		o := []Endpoint{}
		for _, e := range in {
			o = append(o, Endpoint{IP: e.IP, Port: e.Port, Weight: 1, Live: true})
		}
		return o
	}
	for _, s := range svcs {
		var local []kpgen.Endpoint
		for _, e := range s.Endpoints {
			if e.Local {
				local = append(local, e)
			}
		}
		external := s.NodePort != 0 || len(s.ExternalIPs) > 0 || len(s.LoadBalancerIPs) > 0
		extLocal := s.LocalPolicy && external
		has := len(s.Endpoints) > 0
		family := IPv4
		if s.ClusterIP.Is6() {
			family = IPv6
		}
		base := Service{Name: s.PortNameString(), Port: s.Port, Protocol: s.Protocol, IPFamily: family, Endpoints: []Endpoint{}}
		// frontend fills in what traffic to one frontend finds: endpoints,
		// or what happens without them.
		frontend := func(x Service, localPolicy bool) Service {
			use := s.Endpoints
			if localPolicy {
				x.TrafficPolicy = "Local"
				use = local
			}
			switch {
			case !has:
				x.NoEndpoints, x.TrafficPolicy = NoEndpointsReject, ""
			case len(use) == 0:
				x.NoEndpoints = NoEndpointsDrop
			default:
				x.Endpoints = eps(use)
				if s.Affinity > 0 {
					x.SessionAffinity, x.SessionAffinityTimeout = "ClientIP", s.Affinity
				}
			}
			return x
		}
		c := base
		c.Type, c.VIP = TypeClusterIP, s.ClusterIP
		out = append(out, frontend(c, s.InternalLocal))
		if s.NodePort != 0 {
			n := base
			n.Type, n.Port = TypeNodePort, s.NodePort
			out = append(out, frontend(n, extLocal))
		}
		for _, ip := range s.ExternalIPs {
			x := base
			x.Type, x.VIP = TypeExternalIP, ip
			if mode == ModeNFTables || !has {
				x.Type = TypeExternal
			}
			out = append(out, frontend(x, extLocal))
		}
		for _, ip := range s.LoadBalancerIPs {
			x := base
			x.Type, x.VIP = TypeLoadBalancer, ip
			// nftables mode tells a load balancer IP only by its firewall;
			// iptables mode by the nat rule, which exists with endpoints.
			fw := len(s.SourceRanges) > 0 && (mode == ModeNFTables || has)
			if mode == ModeNFTables && !fw || mode == ModeIPTables && !has {
				x.Type = TypeExternal
			}
			if fw {
				for _, r := range s.SourceRanges {
					x.SourceRanges = append(x.SourceRanges, r.String())
				}
			}
			out = append(out, frontend(x, extLocal))
		}
	}
	sortServices(out)
	return out
}

var addrOpt = cmpopts.EquateComparable(netip.Addr{})

// withoutChains drops what the expectation does not model.
func withoutChains(s []Service) []Service {
	out := append([]Service(nil), s...)
	for i := range out {
		out[i].Chain = ""
	}
	return out
}

func TestDecodeIPTablesGenerated(t *testing.T) {
	for name, svcs := range map[string][]kpgen.Service{
		"lab":    kpgen.LabServices(netip.MustParseAddr("198.18.0.6")),
		"shapes": kpgen.ShapeServices(),
	} {
		rs, err := iptables.ParseSave(strings.NewReader(kpgen.IPTables(kpgen.LabConfig(), svcs)))
		if err != nil {
			t.Fatal(err)
		}
		got := withoutChains(DecodeIPTables(rs))
		if diff := cmp.Diff(expected(svcs, ModeIPTables), got, addrOpt); diff != "" {
			t.Errorf("%s: DecodeIPTables (-want +got):\n%s", name, diff)
		}
	}
}

func TestWeightsFromProbabilities(t *testing.T) {
	// Three endpoints where the first takes half: 0.5, then 0.5 of the rest.
	save := `*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-A - [0:0]
:KUBE-SEP-1 - [0:0]
:KUBE-SEP-2 - [0:0]
:KUBE-SEP-3 - [0:0]
-A KUBE-SERVICES -d 198.18.200.1/32 -p tcp -m comment --comment "a/b:c cluster IP" -m tcp --dport 80 -j KUBE-SVC-A
-A KUBE-SVC-A -m comment --comment "a/b:c -> 198.18.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-1
-A KUBE-SVC-A -m comment --comment "a/b:c -> 198.18.0.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-2
-A KUBE-SVC-A -m comment --comment "a/b:c -> 198.18.0.3:80" -j KUBE-SEP-3
-A KUBE-SEP-1 -p tcp -m comment --comment a/b:c -m tcp -j DNAT --to-destination 198.18.0.1:80
-A KUBE-SEP-2 -p tcp -m comment --comment a/b:c -m tcp -j DNAT --to-destination 198.18.0.2:80
-A KUBE-SEP-3 -p tcp -m comment --comment a/b:c -m tcp -j DNAT --to-destination 198.18.0.3:80
COMMIT
`
	rs, err := iptables.ParseSave(strings.NewReader(save))
	if err != nil {
		t.Fatal(err)
	}
	got := DecodeIPTables(rs)
	want := []Service{{Name: "a/b:c", VIP: netip.MustParseAddr("198.18.200.1"), Port: 80, Protocol: "tcp", Type: TypeClusterIP, IPFamily: IPv4, Chain: "KUBE-SVC-A",
		Endpoints: []Endpoint{
			{IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Weight: 1.5, Live: true},
			{IP: netip.MustParseAddr("198.18.0.2"), Port: 80, Weight: 0.75, Live: true},
			{IP: netip.MustParseAddr("198.18.0.3"), Port: 80, Weight: 0.75, Live: true},
		}}}
	if diff := cmp.Diff(want, got, addrOpt); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseVIP(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ip   string
		port uint16
		bad  bool
	}{
		{in: "198.18.200.10", ip: "198.18.200.10"},
		{in: "198.18.200.10:80", ip: "198.18.200.10", port: 80},
		{in: "[2001:db8::1]:443", ip: "2001:db8::1", port: 443},
		{in: ":30080", port: 30080},
		{in: "198.18.200", bad: true},
		{in: "198.18.200.10:", bad: true},
		{in: "198.18.200.10:99999", bad: true},
		{in: "web", bad: true},
		{in: ":0", bad: true},
	} {
		ip, port, err := ParseVIP(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("ParseVIP(%q) error = %v, want bad=%v", tc.in, err, tc.bad)
			continue
		}
		if tc.bad {
			continue
		}
		var want netip.Addr
		if tc.ip != "" {
			want = netip.MustParseAddr(tc.ip)
		}
		if ip != want || port != tc.port {
			t.Errorf("ParseVIP(%q) = %v, %d; want %v, %d", tc.in, ip, port, want, tc.port)
		}
	}
}

func TestLiveness(t *testing.T) {
	svcs := []Service{{Endpoints: []Endpoint{
		{IP: netip.MustParseAddr("198.18.0.6")},   // in range, live
		{IP: netip.MustParseAddr("198.18.0.7")},   // in range, no pod
		{IP: netip.MustParseAddr("198.18.9.9")},   // another node
		{IP: netip.MustParseAddr("198.18.0.1")},   // in range, a node address: host network (the API server)
		{IP: netip.MustParseAddr("198.19.255.2")}, // another node's address on the uplink: host network
		{IP: netip.MustParseAddr("198.18.1.9")},   // on a pod bridge's network outside the ranges: a pod of unknown range
	}}}
	Liveness{
		PodRanges: []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24")},
		LiveIPs:   map[netip.Addr]bool{netip.MustParseAddr("198.18.0.6"): true, netip.MustParseAddr("198.18.1.2"): true},
		NodeAddrs: map[netip.Addr]bool{netip.MustParseAddr("198.18.0.1"): true, netip.MustParseAddr("198.19.255.3"): true},
		NodeNets: []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24"), netip.MustParsePrefix("198.19.255.0/24"),
			netip.MustParsePrefix("198.18.1.0/24")},
	}.Mark(svcs)
	var got []string
	for _, e := range svcs[0].Endpoints {
		got = append(got, fmt.Sprintf("live=%v host=%v", e.Live, e.HostNetwork))
	}
	want := []string{"live=true host=false", "live=false host=false", "live=true host=false", "live=true host=true",
		"live=true host=true", "live=true host=false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("live (-want +got):\n%s", diff)
	}
}

func TestDecodeIPVS(t *testing.T) {
	a := netip.MustParseAddr
	st := &ipvs.State{Services: []ipvs.Service{
		{Protocol: "TCP", Address: a("198.18.200.10"), Port: 80, Scheduler: "rr",
			Destinations: []ipvs.Destination{{Address: a("198.18.0.6"), Port: 8080, Weight: 1}}},
		{Protocol: "TCP", Address: a("198.18.100.1"), Port: 30080, Scheduler: "rr", Destinations: []ipvs.Destination{}},
	}}
	got := DecodeIPVS(st, map[netip.Addr]bool{a("198.18.200.10"): true})
	want := []Service{
		{VIP: a("198.18.200.10"), Port: 80, Protocol: "tcp", Type: TypeClusterIP, IPFamily: IPv4, Chain: "TCP 198.18.200.10:80",
			Endpoints: []Endpoint{{IP: a("198.18.0.6"), Port: 8080, Weight: 1, Live: true}}},
		{VIP: a("198.18.100.1"), Port: 30080, Protocol: "tcp", Type: TypeNodePort, IPFamily: IPv4, Chain: "TCP 198.18.100.1:30080", Endpoints: []Endpoint{}},
	}
	if diff := cmp.Diff(want, got, addrOpt); diff != "" {
		t.Errorf("DecodeIPVS (-want +got):\n%s", diff)
	}
}

// TestNodeLivenessHostNetworkPods: a host-network pod on this node (a CNI
// agent's or kube-proxy's DaemonSet) has the node's address; it must not
// make the node's own network look like a pod network, where another
// node's host-network endpoint (the API server) would look dead.
func TestNodeLivenessHostNetworkPods(t *testing.T) {
	a := netip.MustParseAddr
	inv := &node.Inventory{Sources: []string{"cri"}, Pods: []node.Pod{
		{Namespace: "kube-system", Name: "cni-agent", HostNetwork: true, IPs: []string{"198.19.255.3"}},
		{Namespace: "default", Name: "web", IPs: []string{"198.19.1.5"}},
	}}
	svcs := []Service{{Endpoints: []Endpoint{{IP: a("198.19.255.2")}, {IP: a("198.19.1.5")}, {IP: a("198.19.1.6")}}}}
	NodeLiveness(inv, []netip.Prefix{netip.MustParsePrefix("198.19.1.0/24")},
		map[netip.Addr]bool{a("198.19.255.3"): true, a("198.19.1.1"): true},
		[]netip.Prefix{netip.MustParsePrefix("198.19.255.0/24"), netip.MustParsePrefix("198.19.1.0/24")}).Mark(svcs)
	var got []string
	for _, e := range svcs[0].Endpoints {
		got = append(got, fmt.Sprintf("%s live=%v host=%v", e.IP, e.Live, e.HostNetwork))
	}
	want := []string{"198.19.255.2 live=true host=true", "198.19.1.5 live=true host=false", "198.19.1.6 live=false host=false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("liveness (-want +got):\n%s", diff)
	}
}
