package kubeproxy

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
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
	// TrafficPolicy is "Local" when external traffic only goes to local endpoints.
	TrafficPolicy string     `json:"trafficPolicy,omitempty"`
	SourceRanges  []string   `json:"sourceRanges,omitempty"` // loadBalancerSourceRanges
	Chain         string     `json:"chain,omitempty"`        // the first chain (or virtual server) it goes through
	Endpoints     []Endpoint `json:"endpoints"`
}

// Endpoint is one backend. Weight is relative: in iptables and nftables mode
// 1 is an equal share of new connections (an endpoint taking half of three
// endpoints' traffic has 1.5); in IPVS mode it is the real server's weight.
type Endpoint struct {
	IP     netip.Addr `json:"ip"`
	Port   uint16     `json:"port"`
	Weight float64    `json:"weight"`
	Live   bool       `json:"live"`
}

// Liveness says which endpoints exist: an endpoint inside one of PodRanges
// whose address no live pod has is not live. Endpoints outside the ranges
// (other nodes, host network) are assumed live.
type Liveness struct {
	PodRanges []netip.Prefix
	LiveIPs   map[netip.Addr]bool
}

// Mark sets Live on every endpoint.
func (l Liveness) Mark(svcs []Service) {
	for i := range svcs {
		for j := range svcs[i].Endpoints {
			e := &svcs[i].Endpoints[j]
			e.Live = true
			for _, p := range l.PodRanges {
				if p.Contains(e.IP) && !l.LiveIPs[e.IP] {
					e.Live = false
					break
				}
			}
		}
	}
}

// ErrBadVIP is returned by ParseVIP.
var ErrBadVIP = errors.New("malformed VIP")

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
