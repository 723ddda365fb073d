package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// The parts of the API's objects the tests compare netdiag with.
type (
	meta struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		UID       string            `json:"uid"`
		Labels    map[string]string `json:"labels"`
		// DeletionTimestamp is set on a pod that is going away.
		DeletionTimestamp string `json:"deletionTimestamp"`
	}
	apiPod struct {
		Metadata meta `json:"metadata"`
		Spec     struct {
			NodeName    string `json:"nodeName"`
			HostNetwork bool   `json:"hostNetwork"`
		} `json:"spec"`
		Status struct {
			Phase  string `json:"phase"`
			PodIPs []struct {
				IP string `json:"ip"`
			} `json:"podIPs"`
		} `json:"status"`
	}
	apiService struct {
		Metadata meta `json:"metadata"`
		Spec     struct {
			Type       string   `json:"type"`
			ClusterIP  string   `json:"clusterIP"`
			ClusterIPs []string `json:"clusterIPs"`
			IPFamilies []string `json:"ipFamilies"`
			Ports      []struct {
				Name     string `json:"name"`
				Protocol string `json:"protocol"`
				Port     uint16 `json:"port"`
				NodePort uint16 `json:"nodePort"`
			} `json:"ports"`
			ExternalIPs           []string `json:"externalIPs"`
			SessionAffinity       string   `json:"sessionAffinity"`
			SessionAffinityConfig struct {
				ClientIP struct {
					TimeoutSeconds int `json:"timeoutSeconds"`
				} `json:"clientIP"`
			} `json:"sessionAffinityConfig"`
			ExternalTrafficPolicy    string   `json:"externalTrafficPolicy"`
			InternalTrafficPolicy    string   `json:"internalTrafficPolicy"`
			LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges"`
		} `json:"spec"`
		Status struct {
			LoadBalancer struct {
				Ingress []struct {
					IP string `json:"ip"`
				} `json:"ingress"`
			} `json:"loadBalancer"`
		} `json:"status"`
	}
	apiSlice struct {
		Metadata    meta   `json:"metadata"`
		AddressType string `json:"addressType"`
		Endpoints   []struct {
			Addresses  []string `json:"addresses"`
			NodeName   string   `json:"nodeName"`
			Conditions struct {
				Ready *bool `json:"ready"`
			} `json:"conditions"`
		} `json:"endpoints"`
		Ports []struct {
			Name     string `json:"name"`
			Port     uint16 `json:"port"`
			Protocol string `json:"protocol"`
		} `json:"ports"`
	}
)

// Netdiag's `services -o json`, as DESIGN.md and docs/json.md state it.
type (
	ndServices struct {
		Mode     string      `json:"mode"`
		Services []ndService `json:"services"`
		Notes    []string    `json:"notes"`
	}
	ndService struct {
		Name                   string       `json:"name"`
		VIP                    string       `json:"vip"`
		Port                   uint16       `json:"port"`
		Protocol               string       `json:"protocol"`
		Type                   string       `json:"type"`
		IPFamily               string       `json:"ipFamily"`
		TrafficPolicy          string       `json:"trafficPolicy"`
		SessionAffinity        string       `json:"sessionAffinity"`
		SessionAffinityTimeout int          `json:"sessionAffinityTimeout"`
		NoEndpoints            string       `json:"noEndpoints"`
		SourceRanges           []string     `json:"sourceRanges"`
		Endpoints              []ndEndpoint `json:"endpoints"`
	}
	ndEndpoint struct {
		IP          string  `json:"ip"`
		Port        uint16  `json:"port"`
		Weight      float64 `json:"weight"`
		Live        bool    `json:"live"`
		HostNetwork bool    `json:"hostNetwork"`
	}
)

// frontend is what the API says one frontend on one node must look like.
type frontend struct {
	key          string // name type vip:port/proto
	endpoints    []string
	noEndpoints  string
	affinity     int // the ClientIP timeout, 0 without affinity
	sourceRanges []string
}

// expectedFrontends derives, from the API's Services and EndpointSlices, the
// frontends kube-proxy must program on the node called node.
func expectedFrontends(t *testing.T, l *testlab.K8sLab, node, mode string) map[string]frontend {
	t.Helper()
	var svcs struct{ Items []apiService }
	var slices struct{ Items []apiSlice }
	l.KubectlJSON(t, &svcs, "get", "services", "-A")
	l.KubectlJSON(t, &slices, "get", "endpointslices", "-A")
	out := map[string]frontend{}
	for _, s := range svcs.Items {
		if s.Spec.Type == "ExternalName" || s.Spec.ClusterIP == "None" || s.Spec.ClusterIP == "" {
			continue
		}
		name := s.Metadata.Namespace + "/" + s.Metadata.Name
		// One set of frontends per IP family (dual-stack Services have two).
		for fi, family := range s.Spec.IPFamilies {
			for _, p := range s.Spec.Ports {
				var all, local []string
				for _, sl := range slices.Items {
					if sl.Metadata.Namespace != s.Metadata.Namespace || sl.Metadata.Labels["kubernetes.io/service-name"] != s.Metadata.Name || sl.AddressType != family {
						continue
					}
					for _, sp := range sl.Ports {
						if sp.Name != p.Name || sp.Protocol != p.Protocol {
							continue
						}
						for _, e := range sl.Endpoints {
							if e.Conditions.Ready != nil && !*e.Conditions.Ready {
								continue
							}
							for _, a := range e.Addresses {
								ep := netip.AddrPortFrom(netip.MustParseAddr(a), sp.Port).String()
								all = append(all, ep)
								if e.NodeName == node {
									local = append(local, ep)
								}
							}
						}
					}
				}
				pn := name
				if p.Name != "" {
					pn += ":" + p.Name
				}
				proto := strings.ToLower(p.Protocol)
				add := func(typ, vip string, port uint16, localOnly bool, ranges []string) {
					eps := all
					if localOnly {
						eps = local
					}
					f := frontend{endpoints: sorted(eps), sourceRanges: ranges}
					switch {
					case len(all) == 0:
						f.noEndpoints = "reject"
					case len(eps) == 0:
						f.noEndpoints = "drop"
					}
					// What the rules can tell: kube-proxy writes no affinity rule
					// without endpoints; nftables mode names external IPs and load
					// balancers alike, except a load balancer with source ranges
					// (its firewall map); iptables mode without endpoints has one
					// filter rule for both.
					if s.Spec.SessionAffinity == "ClientIP" && len(eps) > 0 {
						f.affinity = s.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds
					}
					if typ == "ExternalIP" || typ == "LoadBalancer" {
						switch {
						case mode == "nftables" && !(typ == "LoadBalancer" && len(ranges) > 0):
							typ = "External"
						case mode == "iptables" && f.noEndpoints != "":
							typ = "External"
						}
					}
					f.key = frontendKey(pn, typ, family, vip, port, proto)
					out[f.key] = f
				}
				etpLocal := s.Spec.ExternalTrafficPolicy == "Local"
				add("ClusterIP", s.Spec.ClusterIPs[fi], p.Port, s.Spec.InternalTrafficPolicy == "Local", nil)
				if p.NodePort != 0 {
					add("NodePort", "", p.NodePort, etpLocal, nil)
				}
				for _, ip := range s.Spec.ExternalIPs {
					if familyOf(ip) == family {
						add("ExternalIP", ip, p.Port, etpLocal, nil)
					}
				}
				if s.Spec.Type == "LoadBalancer" {
					for _, in := range s.Status.LoadBalancer.Ingress {
						if familyOf(in.IP) == family {
							add("LoadBalancer", in.IP, p.Port, etpLocal, sorted(s.Spec.LoadBalancerSourceRanges))
						}
					}
				}
			}
		}
	}
	return out
}

func familyOf(ip string) string {
	if netip.MustParseAddr(ip).Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// frontendKey names a frontend the same way for the API's view and netdiag's.
func frontendKey(name, typ, family, vip string, port uint16, proto string) string {
	return fmt.Sprintf("%s %s %s %s port %d/%s", name, typ, family, vip, port, proto)
}

func sorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// netdiagServices runs `netdiag services -o json` on node i.
func netdiagServices(t *testing.T, l *testlab.K8sLab, i int) (ndServices, error) {
	t.Helper()
	stdout, stderr, code := l.Netdiag(t, i, netdiag(t), "services", "-o", "json")
	var r ndServices
	if code != 0 {
		return r, fmt.Errorf("netdiag services exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		return r, fmt.Errorf("netdiag services -o json: %v", err)
	}
	return r, nil
}

// proxyView compares netdiag's view of node i's kube-proxy with the API and
// says every difference.
func proxyView(t *testing.T, l *testlab.K8sLab, i int) (ndServices, error) {
	t.Helper()
	got, err := netdiagServices(t, l, i)
	if err != nil {
		return got, err
	}
	want := expectedFrontends(t, l, l.Node(t, i).Name, l.ProxyMode)
	var diffs []string
	if got.Mode != l.ProxyMode {
		diffs = append(diffs, fmt.Sprintf("mode %q, kube-proxy runs in %q", got.Mode, l.ProxyMode))
	}
	seen := map[string]bool{}
	for _, s := range got.Services {
		key := frontendKey(s.Name, s.Type, s.IPFamily, s.VIP, s.Port, s.Protocol)
		if seen[key] {
			diffs = append(diffs, "listed twice: "+key)
		}
		seen[key] = true
		w, ok := want[key]
		if !ok {
			diffs = append(diffs, "not in the API: "+key)
			continue
		}
		var eps []string
		for _, e := range s.Endpoints {
			eps = append(eps, netip.AddrPortFrom(netip.MustParseAddr(e.IP), e.Port).String())
			if e.Weight < 0.99 || e.Weight > 1.01 {
				diffs = append(diffs, fmt.Sprintf("%s: endpoint %s weight %.3f, want an equal share (1)", key, e.IP, e.Weight))
			}
			if !e.Live {
				diffs = append(diffs, fmt.Sprintf("%s: endpoint %s marked not live", key, e.IP))
			}
		}
		if g := strings.Join(sorted(eps), ","); g != strings.Join(w.endpoints, ",") {
			diffs = append(diffs, fmt.Sprintf("%s: endpoints %s, the API says %s", key, g, strings.Join(w.endpoints, ",")))
		}
		if s.NoEndpoints != w.noEndpoints {
			diffs = append(diffs, fmt.Sprintf("%s: noEndpoints %q, want %q", key, s.NoEndpoints, w.noEndpoints))
		}
		wantAff := ""
		if w.affinity > 0 {
			wantAff = "ClientIP"
		}
		if s.SessionAffinity != wantAff || s.SessionAffinityTimeout != w.affinity {
			diffs = append(diffs, fmt.Sprintf("%s: affinity %q %ds, want %q %ds", key, s.SessionAffinity, s.SessionAffinityTimeout, wantAff, w.affinity))
		}
		if g := strings.Join(sorted(s.SourceRanges), ","); g != strings.Join(w.sourceRanges, ",") {
			diffs = append(diffs, fmt.Sprintf("%s: source ranges %q, want %q", key, g, strings.Join(w.sourceRanges, ",")))
		}
	}
	for k := range want {
		if !seen[k] {
			diffs = append(diffs, "missing: "+k)
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return got, fmt.Errorf("node %d (%s mode): %d differences:\n  %s", i, l.ProxyMode, len(diffs), strings.Join(diffs, "\n  "))
	}
	return got, nil
}
