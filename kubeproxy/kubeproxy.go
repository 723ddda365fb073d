package kubeproxy

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/node"
)

// Mode is the kube-proxy mode whose state was decoded.
type Mode string

// kube-proxy modes.
const (
	ModeIPTables Mode = "iptables"
	ModeIPVS     Mode = "ipvs"
	ModeNFTables Mode = "nftables"
)

// Frontend kinds in Service.Type.
const (
	TypeClusterIP    = "ClusterIP"
	TypeNodePort     = "NodePort"
	TypeExternalIP   = "ExternalIP"
	TypeLoadBalancer = "LoadBalancer"
	TypeExternal     = "External" // an external IP or load balancer IP; nftables mode does not say which
)

// Result is what `netdiag services` prints.
type Result struct {
	Mode     Mode      `json:"mode"`
	Services []Service `json:"services"`
	Notes    []string  `json:"notes,omitempty"` // what could not be read
}

// Service is one frontend (address, port, protocol) of a service port and
// the endpoints kube-proxy sends its new connections to.
type Service struct {
	Name     string     `json:"name"` // "namespace/name:port", "" when the rules do not say (IPVS)
	VIP      netip.Addr `json:"vip"`  // invalid (printed "") for NodePorts: every local address
	Port     uint16     `json:"port"`
	Protocol string     `json:"protocol"` // tcp, udp, sctp
	Type     string     `json:"type"`     // ClusterIP, NodePort, ExternalIP, LoadBalancer, External
	// IPFamily is "IPv4" or "IPv6": the rules it was read from (a NodePort
	// has no VIP to tell).
	IPFamily string `json:"ipFamily"`
	// TrafficPolicy is "Local" when this frontend only sends to endpoints on
	// this node: internalTrafficPolicy for the ClusterIP, externalTrafficPolicy
	// for the others.
	TrafficPolicy string `json:"trafficPolicy,omitempty"`
	// SessionAffinity is "ClientIP" when a client's new connections go to the
	// endpoint it used last, for SessionAffinityTimeout seconds.
	SessionAffinity        string `json:"sessionAffinity,omitempty"`
	SessionAffinityTimeout int    `json:"sessionAffinityTimeout,omitempty"`
	// NoEndpoints says what kube-proxy does with new connections that find no
	// endpoint: "reject" (the service has none) or "drop" (its traffic policy
	// is Local and none is on this node). "" when there are endpoints.
	NoEndpoints  string     `json:"noEndpoints,omitempty"`
	SourceRanges []string   `json:"sourceRanges,omitempty"` // loadBalancerSourceRanges
	Chain        string     `json:"chain,omitempty"`        // the first chain (or virtual server) it goes through
	Endpoints    []Endpoint `json:"endpoints"`
}

// What kube-proxy does with traffic to a frontend without endpoints.
const (
	NoEndpointsReject = "reject"
	NoEndpointsDrop   = "drop"
)

// IP families in Service.IPFamily, spelled as in the Service API.
const (
	IPv4 = "IPv4"
	IPv6 = "IPv6"
)

// Endpoint is one backend. Weight is relative: in iptables and nftables mode
// 1 is an equal share of new connections (an endpoint taking half of three
// endpoints' traffic has 1.5); in IPVS mode it is the real server's weight.
type Endpoint struct {
	IP     netip.Addr `json:"ip"`
	Port   uint16     `json:"port"`
	Weight float64    `json:"weight"`
	Live   bool       `json:"live"`
	// HostNetwork is true when the address is one of the node's own: a
	// host-network pod or a server outside any pod (the API server).
	HostNetwork bool `json:"hostNetwork,omitempty"`
}

// Liveness says which endpoints exist: an endpoint inside one of PodRanges
// that is not a node address and whose address no live pod has is not live.
// Endpoints outside the ranges (other nodes, host network) are assumed live.
type Liveness struct {
	PodRanges []netip.Prefix
	LiveIPs   map[netip.Addr]bool
	// NodeAddrs are the node's own addresses: endpoints there are
	// host-network, and live.
	NodeAddrs map[netip.Addr]bool
	// NodeNets are the networks of the node's own addresses. An endpoint
	// in one of them that is in no pod range and no pod's is another
	// node's address: host network too (the API server seen from a worker).
	NodeNets []netip.Prefix
}

// Mark sets Live and HostNetwork on every endpoint.
// onNodeNet: ip is in one of the node's networks that holds no pod (a
// bridge's network holds the pods on it).
func (l Liveness) onNodeNet(ip netip.Addr) bool {
	for _, n := range l.NodeNets {
		if !n.Contains(ip) {
			continue
		}
		pods := false
		for pod := range l.LiveIPs {
			pods = pods || n.Contains(pod)
		}
		for _, r := range l.PodRanges {
			pods = pods || n.Overlaps(r)
		}
		if !pods {
			return true
		}
	}
	return false
}

func (l Liveness) Mark(svcs []Service) {
	for i := range svcs {
		for j := range svcs[i].Endpoints {
			e := &svcs[i].Endpoints[j]
			e.Live, e.HostNetwork = true, l.NodeAddrs[e.IP]
			if e.HostNetwork || l.LiveIPs[e.IP] {
				continue
			}
			inPods := false
			for _, p := range l.PodRanges {
				if p.Contains(e.IP) {
					e.Live, inPods = false, true
					break
				}
			}
			e.HostNetwork = !inPods && l.onNodeNet(e.IP)
		}
	}
}

func familyOf(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		return IPv6
	}
	return IPv4
}

// ErrBadVIP is returned by ParseVIP.
var ErrBadVIP = errors.New("malformed VIP")

// ErrNoKubeProxy is Load's answer on a node without kube-proxy rules
// (not running, or replaced by the CNI): no services to read, not a failure.
var ErrNoKubeProxy = errors.New("no kube-proxy rules found")

// ParseVIP parses "IP", "IP:PORT", "[IPv6]:PORT" or ":PORT" (NodePorts).
func ParseVIP(s string) (netip.Addr, uint16, error) {
	if s == "" {
		return netip.Addr{}, 0, fmt.Errorf("%w: empty", ErrBadVIP)
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a, 0, nil
	}
	if strings.HasPrefix(s, ":") {
		p, err := strconv.ParseUint(s[1:], 10, 16)
		if err != nil || p == 0 {
			return netip.Addr{}, 0, fmt.Errorf("%w %q: port must be 1-65535", ErrBadVIP, s)
		}
		return netip.Addr{}, uint16(p), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("%w %q: want IP, IP:PORT, [IPv6]:PORT or :PORT", ErrBadVIP, s)
	}
	if ap.Port() == 0 {
		return netip.Addr{}, 0, fmt.Errorf("%w %q: port must be 1-65535", ErrBadVIP, s)
	}
	return ap.Addr(), ap.Port(), nil
}

// Filter keeps the services with that VIP (when valid) and port (when not 0).
func Filter(svcs []Service, vip netip.Addr, port uint16) []Service {
	out := []Service{}
	for _, s := range svcs {
		if vip.IsValid() && s.VIP != vip {
			continue
		}
		if port != 0 && s.Port != port {
			continue
		}
		out = append(out, s)
	}
	return out
}

var typeOrder = map[string]int{TypeClusterIP: 0, TypeNodePort: 1, TypeExternalIP: 2, TypeLoadBalancer: 3, TypeExternal: 4}

// sortServices orders by name, frontend kind, address, port, protocol.
func sortServices(s []Service) {
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if typeOrder[a.Type] != typeOrder[b.Type] {
			return typeOrder[a.Type] < typeOrder[b.Type]
		}
		if c := a.VIP.Compare(b.VIP); c != 0 {
			return c < 0
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return a.Protocol < b.Protocol
	})
}

// round keeps weights readable: 1/3 of three endpoints prints as 1.
func round(w float64) float64 { return math.Round(w*1e4) / 1e4 }

func parseEndpoint(s string) (netip.Addr, uint16, bool) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	return ap.Addr(), ap.Port(), true
}

// NodeLiveness is the Liveness of one node: the IPs of inv's pods, the
// node's own pod ranges (node.NodeScope: never the cluster-wide range,
// which holds other nodes' pods) and its own addresses and networks (for
// host-network endpoints). Without a pod list (inv nil, or no source
// answered) nothing can be judged and every endpoint counts as live.
func NodeLiveness(inv *node.Inventory, podRanges []netip.Prefix, nodeAddrs map[netip.Addr]bool, nodeNets []netip.Prefix) Liveness {
	l := Liveness{LiveIPs: map[netip.Addr]bool{}, NodeAddrs: nodeAddrs, NodeNets: nodeNets}
	if inv == nil || len(inv.Sources) == 0 {
		return l
	}
	for _, p := range inv.Pods {
		if p.HostNetwork {
			// Its addresses are the node's (NodeAddrs): counted as pods they
			// would make the node's own network look like a pod network,
			// and another node's host-network endpoint (the API server)
			// look dead.
			continue
		}
		for _, s := range p.IPs {
			if ip, err := netip.ParseAddr(s); err == nil {
				l.LiveIPs[ip] = true
			}
		}
	}
	l.PodRanges = podRanges
	return l
}
