package kubeproxy

import (
	"net/netip"
	"strings"

	"github.com/netdiag/netdiag/ipvs"
)

// DecodeIPVS turns IPVS virtual servers into services. Addresses on the
// kube-ipvs0 dummy interface (vips) are ClusterIPs (kube-proxy also puts
// external and load-balancer IPs there; IPVS does not say which); virtual
// servers on other addresses are NodePorts. IPVS carries no service names.
func DecodeIPVS(st *ipvs.State, vips map[netip.Addr]bool) []Service {
	out := []Service{}
	for _, s := range st.Services {
		if s.FWMark != 0 {
			continue
		}
		svc := Service{VIP: s.Address, Port: s.Port, Protocol: strings.ToLower(s.Protocol), Type: TypeNodePort,
			IPFamily: familyOf(s.Address), Chain: s.Key(), Endpoints: []Endpoint{}}
		// kube-proxy's ClientIP affinity is a persistent virtual server
		// whose timeout is the affinity's.
		for _, f := range s.Flags {
			if f == "persistent" && s.Timeout > 0 {
				svc.SessionAffinity, svc.SessionAffinityTimeout = "ClientIP", int(s.Timeout)
			}
		}
		if vips[s.Address] {
			svc.Type = TypeClusterIP
		}
		for _, d := range s.Destinations {
			svc.Endpoints = append(svc.Endpoints, Endpoint{IP: d.Address, Port: d.Port, Weight: float64(d.Weight), Live: true})
		}
		out = append(out, svc)
	}
	sortServices(out)
	return out
}
