package kubeproxy

import (
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/nftables"
)

// The fixtures in testdata are kube-proxy v1.34's rules for these service
// shapes (addresses in 198.18.0.0/15, cluster CIDR 198.18.0.0/24, node IP
// 198.18.100.1), written from its syncProxyRules:
//
//	ns1/svc1:p80       ClusterIP, 3 endpoints
//	ns2/svc2:p80       LoadBalancer 198.19.0.2, externalIP 198.19.1.2, NodePort 30002,
//	                   externalTrafficPolicy Local, no endpoint on this node
//	ns3/svc3:p80       NodePort 30003, externalTrafficPolicy Local, 1 of 2 endpoints local
//	ns4/svc4:p80       externalIP 198.19.1.4, 2 endpoints
//	ns5/svc5:p80       LoadBalancer 198.19.0.5 and .6, NodePort 30005,
//	                   loadBalancerSourceRanges 198.19.128.0/25 and 198.18.100.0/24
//	                   (holds the node IP), sessionAffinity ClientIP 10800 s
//	ns6/svc6:p80       ClusterIP, externalIP 198.19.1.6, NodePort 30006, no endpoints
//	ns7/svc7           internalTrafficPolicy Local, no endpoint on this node (unnamed port)
//	ns8/svc8:http      internalTrafficPolicy Local, 1 of 2 endpoints local
//	ns9/svc9:dns       UDP 53, sessionAffinity ClientIP 600 s; dns-tcp TCP 53; sig SCTP 9999

// shapeWant is what netdiag must decode from them. ext is the type of an
// external IP and lb of a load balancer IP: iptables mode tells them apart
// by the comments, nftables mode only load balancers with a firewall.
// srcRanges are the load balancer's source ranges in the order the rules
// hold them (the kernel sorts an nftables set).
func shapeWant(ext, lbLocal string, srcRanges ...string) []Service {
	a := netip.MustParseAddr
	ep := func(s string) Endpoint {
		ap := netip.MustParseAddrPort(s)
		return Endpoint{IP: ap.Addr(), Port: ap.Port(), Weight: 1, Live: true}
	}
	eps := func(s ...string) []Endpoint {
		out := []Endpoint{}
		for _, x := range s {
			out = append(out, ep(x))
		}
		return out
	}
	svc := func(name, typ, vip string, port uint16, proto string, e []Endpoint) Service {
		s := Service{Name: name, Type: typ, Port: port, Protocol: proto, IPFamily: IPv4, Endpoints: e}
		if vip != "" {
			s.VIP = a(vip)
		}
		return s
	}
	local := func(s Service) Service { s.TrafficPolicy = "Local"; return s }
	drop := func(s Service) Service { s.TrafficPolicy, s.NoEndpoints = "Local", NoEndpointsDrop; return s }
	reject := func(s Service) Service { s.NoEndpoints = NoEndpointsReject; return s }
	sticky := func(sec int, s Service) Service {
		s.SessionAffinity, s.SessionAffinityTimeout = "ClientIP", sec
		return s
	}
	ranges := func(s Service) Service {
		s.SourceRanges = srcRanges
		return s
	}
	svc5 := eps("198.18.0.51:80", "198.18.1.52:80")
	svc9 := eps("198.18.0.91:5353", "198.18.1.92:5353")
	want := []Service{
		svc("ns1/svc1:p80", TypeClusterIP, "198.18.201.1", 80, "tcp", eps("198.18.0.11:8080", "198.18.1.12:8080", "198.18.2.13:8080")),
		svc("ns2/svc2:p80", TypeClusterIP, "198.18.201.2", 80, "tcp", eps("198.18.1.21:80")),
		drop(svc("ns2/svc2:p80", TypeNodePort, "", 30002, "tcp", eps())),
		drop(svc("ns2/svc2:p80", ext, "198.19.1.2", 80, "tcp", eps())),
		drop(svc("ns2/svc2:p80", lbLocal, "198.19.0.2", 80, "tcp", eps())),
		svc("ns3/svc3:p80", TypeClusterIP, "198.18.201.3", 80, "tcp", eps("198.18.0.31:80", "198.18.1.32:80")),
		local(svc("ns3/svc3:p80", TypeNodePort, "", 30003, "tcp", eps("198.18.0.31:80"))),
		svc("ns4/svc4:p80", TypeClusterIP, "198.18.201.4", 80, "tcp", eps("198.18.0.41:80", "198.18.1.42:80")),
		svc("ns4/svc4:p80", ext, "198.19.1.4", 80, "tcp", eps("198.18.0.41:80", "198.18.1.42:80")),
		sticky(10800, svc("ns5/svc5:p80", TypeClusterIP, "198.18.201.5", 80, "tcp", svc5)),
		sticky(10800, svc("ns5/svc5:p80", TypeNodePort, "", 30005, "tcp", svc5)),
		sticky(10800, ranges(svc("ns5/svc5:p80", TypeLoadBalancer, "198.19.0.5", 80, "tcp", svc5))),
		sticky(10800, ranges(svc("ns5/svc5:p80", TypeLoadBalancer, "198.19.0.6", 80, "tcp", svc5))),
		reject(svc("ns6/svc6:p80", TypeClusterIP, "198.18.201.6", 80, "tcp", eps())),
		reject(svc("ns6/svc6:p80", TypeNodePort, "", 30006, "tcp", eps())),
		reject(svc("ns6/svc6:p80", TypeExternal, "198.19.1.6", 80, "tcp", eps())),
		drop(svc("ns7/svc7", TypeClusterIP, "198.18.201.7", 80, "tcp", eps())),
		local(svc("ns8/svc8:http", TypeClusterIP, "198.18.201.8", 80, "tcp", eps("198.18.0.81:8080"))),
		sticky(600, svc("ns9/svc9:dns", TypeClusterIP, "198.18.201.9", 53, "udp", svc9)),
		svc("ns9/svc9:dns-tcp", TypeClusterIP, "198.18.201.9", 53, "tcp", svc9),
		svc("ns9/svc9:sig", TypeClusterIP, "198.18.201.9", 9999, "sctp", eps("198.18.0.91:9999")),
	}
	sortServices(want)
	return want
}

func readIPTablesFixture(t *testing.T, name string) *iptables.Ruleset {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := iptables.ParseSave(f)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestDecodeIPTablesShapes(t *testing.T) {
	got := withoutChains(DecodeIPTables(readIPTablesFixture(t, "iptables-shapes.save")))
	if diff := cmp.Diff(shapeWant(TypeExternalIP, TypeLoadBalancer, "198.19.128.0/25", "198.18.100.0/24"), got, addrOpt); diff != "" {
		t.Errorf("DecodeIPTables (-want +got):\n%s", diff)
	}
}

func readNFTFixture(t *testing.T) *nftables.Table {
	t.Helper()
	b, err := os.ReadFile("testdata/nftables-shapes.json")
	if err != nil {
		t.Fatal(err)
	}
	var tab nftables.Table
	if err := json.Unmarshal(b, &tab); err != nil {
		t.Fatal(err)
	}
	return &tab
}

func TestDecodeNFTablesShapes(t *testing.T) {
	got := withoutChains(DecodeNFTables(readNFTFixture(t)))
	if diff := cmp.Diff(shapeWant(TypeExternal, TypeExternal, "198.18.100.0/24", "198.19.128.0/25"), got, addrOpt); diff != "" {
		t.Errorf("DecodeNFTables (-want +got):\n%s", diff)
	}
}

// TestAffinityEndpointsOnce: kube-proxy's session affinity rules
// ("-m recent --rcheck", "ip saddr @affinity-…") come before the load
// balancing rules and jump to the same endpoint chains; each endpoint is
// counted once, with its statistic share.
func TestAffinityEndpointsOnce(t *testing.T) {
	for _, s := range DecodeIPTables(readIPTablesFixture(t, "iptables-shapes.save")) {
		if s.SessionAffinity == "" {
			continue
		}
		seen := map[netip.AddrPort]bool{}
		for _, e := range s.Endpoints {
			ap := netip.AddrPortFrom(e.IP, e.Port)
			if seen[ap] {
				t.Errorf("%s %s: endpoint %s decoded twice", s.Name, s.Type, ap)
			}
			seen[ap] = true
			if e.Weight != 1 {
				t.Errorf("%s %s: endpoint %s weight %v, want 1 (equal shares)", s.Name, s.Type, ap, e.Weight)
			}
		}
	}
}

// TestDecodeIP6TablesNodePort: the same NodePort in IPv4 and IPv6 rules is
// told apart by its family.
func TestDecodeIP6TablesNodePort(t *testing.T) {
	save := `*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]
-A KUBE-NODEPORTS -p tcp -m comment --comment "ns3/svc3:p80" -m tcp --dport 30003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -d 64:ff9b::c612:c903/128 -p tcp -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> [64:ff9b::c612:1f]:80" -j KUBE-SEP-AAAAAAAAAAAAAAAA
-A KUBE-SEP-AAAAAAAAAAAAAAAA -p tcp -m comment --comment "ns3/svc3:p80" -m tcp -j DNAT --to-destination [64:ff9b::c612:1f]:80
COMMIT
`
	rs, err := iptables.ParseSave(strings.NewReader(save))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range DecodeIPTables(rs) {
		got = append(got, s.Type+" "+s.IPFamily)
		if len(s.Endpoints) != 1 || s.Endpoints[0].IP != netip.MustParseAddr("64:ff9b::c612:1f") {
			t.Errorf("%s: endpoints %+v", s.Type, s.Endpoints)
		}
	}
	if diff := cmp.Diff([]string{"ClusterIP IPv6", "NodePort IPv6"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestLocalhostNodePortOnce: kube-proxy writes a second KUBE-NODEPORTS
// rule for 127.0.0.0/8 (localhost NodePorts, counted by nfacct); it is the
// same frontend.
func TestLocalhostNodePortOnce(t *testing.T) {
	save := `*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment "ns3/svc3:p80" -m tcp --dport 3003 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -p tcp -m comment --comment "ns3/svc3:p80" -m tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
COMMIT
`
	rs, err := iptables.ParseSave(strings.NewReader(save))
	if err != nil {
		t.Fatal(err)
	}
	if got := DecodeIPTables(rs); len(got) != 1 || got[0].Type != TypeNodePort || got[0].Port != 3003 {
		t.Errorf("got %+v, want one NodePort :3003", got)
	}
}
