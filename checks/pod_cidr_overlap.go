package checks

import (
	"fmt"
	"net/netip"

	"github.com/netdiag/netdiag/snapshot"

	"github.com/netdiag/netdiag/node"
)

func init() {
	register(Check{
		ID:    "pod-cidr-overlap",
		Title: "pod addresses do not overlap the node's networks",
		Needs: []snapshot.Part{snapshot.PartPods, snapshot.PartLinks},
		Run: func(s *snapshot.Snapshot) []Finding {
			// Networks of node interfaces that are not pod plumbing.
			podIfs := map[string]bool{}
			for b := range podBridges(s) {
				podIfs[b] = true
			}
			for _, p := range s.Pods {
				if p.HostInterface != nil {
					podIfs[p.HostInterface.Name] = true
				}
			}
			type netOf struct {
				prefix netip.Prefix
				dev    string
			}
			var nets []netOf
			for _, l := range s.Node.Links {
				// A veth is an uplink (kind and minikube nodes) unless it is a
				// pod's host veth or a bridge port.
				if podIfs[l.Name] || l.Master != "" || l.Kind == "bridge" || l.Name == "lo" || overhead[l.Kind] > 0 {
					continue
				}
				for _, a := range l.Addrs {
					if a.Addr().IsLinkLocalUnicast() || a.Bits() == a.Addr().BitLen() {
						continue
					}
					nets = append(nets, netOf{a.Masked(), l.Name})
				}
			}
			var out []Finding
			var reported []netip.Prefix // pod ranges already found overlapping
			check := func(what string, pr netip.Prefix, obj *Object) {
				for _, r := range reported {
					if r.Overlaps(pr) {
						return
					}
				}
				for _, n := range nets {
					if !n.prefix.Overlaps(pr) {
						continue
					}
					reported = append(reported, pr)
					out = append(out, Finding{
						Severity: Fail,
						Summary:  fmt.Sprintf("%s overlaps %s on node interface %s: traffic to those addresses goes the wrong way (No route to host)", what, n.prefix, n.dev),
						Evidence: map[string]any{"pod": what, "nodeNetwork": n.prefix.String(), "interface": n.dev},
						Fix:      []string{"choose a pod CIDR that does not overlap the node's networks (CNI config / kubelet --pod-cidr / cluster pod range)"},
						Object:   obj,
					})
					return
				}
			}
			// This node's ranges; kube-proxy's cluster CIDR only when the
			// node states none of its own (it also covers other nodes).
			var ranges []node.PodRange
			for _, r := range s.PodRangeSources {
				if !r.Cluster {
					ranges = append(ranges, r)
				}
			}
			if len(ranges) == 0 {
				ranges = s.PodRangeSources
			}
			for _, r := range ranges {
				check("pod range "+r.Prefix.String()+" ("+r.Source+")", r.Prefix, nodeObject(s))
			}
			for i := range s.Pods {
				p := &s.Pods[i]
				if p.HostNetwork {
					continue
				}
				for _, ip := range p.IPs {
					a, err := netip.ParseAddr(ip)
					if err != nil {
						continue
					}
					check("pod "+p.FullName()+" address "+ip, netip.PrefixFrom(a, a.BitLen()), &Object{Kind: "pod", Name: p.FullName()})
				}
			}
			return out
		},
	})
}
