package checks

import (
	"fmt"

	"github.com/netdiag/netdiag/snapshot"
)

// overhead is the encapsulation cost of overlay devices, in bytes.
var overhead = map[string]int{"vxlan": 50, "geneve": 50, "ipip": 20, "wireguard": 60, "gre": 24, "sit": 20}

// uplink is the interface of the node's default route.
func uplink(s *snapshot.Snapshot) *snapshot.Link {
	for _, r := range s.Node.Routes {
		if r.Dst.Bits() == 0 && r.Dst.Addr().Is4() {
			return s.Node.Link(r.Dev)
		}
	}
	return nil
}

// pathMTU is the largest packet a pod may send: the uplink MTU less the
// overlay's encapsulation when pod traffic is tunnelled.
func pathMTU(s *snapshot.Snapshot) (mtu int, ev map[string]any) {
	ev = map[string]any{}
	up := uplink(s)
	if up == nil {
		return 0, ev
	}
	mtu = up.MTU
	ev["uplink"] = up.Name
	ev["uplinkMtu"] = up.MTU
	for _, l := range s.Node.Links {
		if o, ok := overhead[l.Kind]; ok && l.Up {
			if l.Kind == "wireguard" && uplinkIs6(s) {
				o = 80
			}
			if up.MTU-o < mtu {
				mtu = up.MTU - o
				ev["overlay"] = l.Name
				ev["overlayKind"] = l.Kind
				ev["overhead"] = o
			}
		}
	}
	ev["pathMtu"] = mtu
	return mtu, ev
}

func uplinkIs6(s *snapshot.Snapshot) bool {
	for _, r := range s.Node.Routes {
		if r.Dst.Bits() == 0 && r.Dst.Addr().Is6() {
			return true
		}
	}
	return false
}

func init() {
	register(Check{
		ID:    "mtu-mismatch",
		Title: "pod MTU fits the path",
		Needs: []snapshot.Part{snapshot.PartPods, snapshot.PartLinks},
		Run: func(s *snapshot.Snapshot) []Finding {
			var out []Finding
			path, pev := pathMTU(s)
			for i := range s.Pods {
				p := &s.Pods[i]
				if p.Interface == nil || p.HostNetwork {
					continue
				}
				obj := &Object{Kind: "pod", Name: p.FullName()}
				if path > 0 && p.Interface.MTU > path {
					ev := map[string]any{"pod": p.FullName(), "podMtu": p.Interface.MTU}
					for k, v := range pev {
						ev[k] = v
					}
					out = append(out, Finding{
						Severity: Fail,
						Summary: fmt.Sprintf("pod %s has MTU %d but the path allows %d: handshakes work, large packets (TLS hello, big responses) never arrive",
							p.FullName(), p.Interface.MTU, path),
						Evidence: ev,
						Fix:      []string{fmt.Sprintf("set the CNI MTU to %d (uplink MTU less the overlay overhead) and recreate the pod", path)},
						Object:   obj,
					})
					continue
				}
				if h := p.HostInterface; h != nil && h.MTU != p.Interface.MTU {
					out = append(out, Finding{
						Severity: Warn,
						Summary:  fmt.Sprintf("pod %s: eth0 MTU %d differs from host veth %s MTU %d", p.FullName(), p.Interface.MTU, h.Name, h.MTU),
						Evidence: map[string]any{"pod": p.FullName(), "podMtu": p.Interface.MTU, "hostVeth": h.Name, "hostVethMtu": h.MTU},
						Fix:      []string{fmt.Sprintf("ip link set %s mtu %d (and fix the CNI MTU setting)", h.Name, p.Interface.MTU)},
						Object:   obj,
					})
				}
			}
			return out
		},
	})
}
