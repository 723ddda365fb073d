package kubeproxy

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/netstate"
)

// nftChainName turns "service-HASH8-ns/name/proto/port" (or endpoint-…,
// external-…) into "ns/name:port" and the protocol.
func nftChainName(chain string) (string, string) {
	_, rest, ok := strings.Cut(chain, "-")
	if !ok {
		return "", ""
	}
	if len(rest) > 9 && rest[8] == '-' {
		rest = rest[9:]
	}
	rest, _, _ = strings.Cut(rest, "__")
	parts := strings.Split(rest, "/")
	if len(parts) != 4 {
		return "", ""
	}
	name := parts[0] + "/" + parts[1]
	if parts[3] != "" {
		name += ":" + parts[3]
	}
	return name, parts[2]
}

type nftDecoder struct {
	t      *netstate.NFTTable
	chains map[string]*netstate.NFTChain // t's chains by name: 25,000 on a large node
	cache  map[string]resolved
}

func (d *nftDecoder) chain(name string) *netstate.NFTChain { return d.chains[name] }

// gotoTargets returns the chains a rule's text jumps or goes to.
func gotoTargets(text string) []string {
	var out []string
	f := strings.Fields(text)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "goto" || f[i] == "jump" {
			out = append(out, strings.TrimRight(f[i+1], ",}"))
		}
	}
	return out
}

// endpoints reads a service-… or local-… chain: the numgen vmap gives each
// endpoint chain a share of the keys; the endpoint chain's dnat gives the address.
func (d *nftDecoder) endpoints(chain string) []Endpoint {
	c := d.chain(chain)
	if c == nil {
		return []Endpoint{}
	}
	counts := map[string]int{}
	var order []string
	total := 0
	for _, r := range c.Rules {
		if !strings.Contains(r.Text, "numgen ") {
			continue
		}
		for _, tgt := range gotoTargets(r.Text) {
			if !strings.HasPrefix(tgt, "endpoint-") {
				continue
			}
			if counts[tgt] == 0 {
				order = append(order, tgt)
			}
			counts[tgt]++
			total++
		}
	}
	out := []Endpoint{}
	for _, tgt := range order {
		ec := d.chain(tgt)
		if ec == nil {
			continue
		}
		for _, r := range ec.Rules {
			_, after, ok := strings.Cut(r.Text, "dnat to ")
			if !ok {
				continue
			}
			dest, _, _ := strings.Cut(after, " ")
			ip, port, ok := parseEndpoint(dest)
			if !ok {
				continue
			}
			w := float64(counts[tgt]) / float64(total) * float64(len(order))
			out = append(out, Endpoint{IP: ip, Port: port, Weight: round(w), Live: true})
		}
	}
	return out
}

// resolve follows a service-, external- or firewall- chain.
func (d *nftDecoder) resolve(chain string, depth int) resolved {
	if r, ok := d.cache[chain]; ok {
		return r
	}
	var res resolved
	switch {
	case depth > 4:
	case strings.HasPrefix(chain, "service-"):
		res = resolved{policy: "Cluster", endpoints: d.endpoints(chain)}
	case strings.HasPrefix(chain, "local-"):
		res = resolved{policy: "Local", endpoints: d.endpoints(chain)}
	case strings.HasPrefix(chain, "external-"):
		c := d.chain(chain)
		if c == nil {
			break
		}
		local := false
		var last string
		for _, r := range c.Rules {
			if strings.Contains(r.Text, "fib saddr type local") {
				local = true
			}
			if strings.HasPrefix(r.Text, "goto ") || strings.HasPrefix(r.Text, "counter packets") && strings.Contains(r.Text, " goto ") {
				if t := gotoTargets(r.Text); len(t) > 0 {
					last = t[len(t)-1]
				}
			}
		}
		switch {
		case last != "":
			res = d.resolve(last, depth+1)
		case local:
			// Local policy and no local endpoints: external traffic is dropped.
			res = resolved{policy: "Local", endpoints: []Endpoint{}}
		}
	}
	d.cache[chain] = res
	return res
}

func elemVerdictChain(v string) string {
	if t, ok := strings.CutPrefix(v, "goto "); ok {
		return t
	}
	if t, ok := strings.CutPrefix(v, "jump "); ok {
		return t
	}
	return ""
}

// DecodeNFTables decodes kube-proxy's nftables-mode table (table ip or ip6
// kube-proxy): the service-ips and service-nodeports maps, the service-,
// external- and endpoint- chains, and the no-endpoint maps.
func DecodeNFTables(t *netstate.NFTTable) []Service {
	d := &nftDecoder{t: t, chains: map[string]*netstate.NFTChain{}, cache: map[string]resolved{}}
	for i := range t.Chains {
		d.chains[t.Chains[i].Name] = &t.Chains[i]
	}
	out := []Service{}
	seen := map[string]bool{}
	clusterIPs := map[string]bool{}
	if s := t.Set("cluster-ips"); s != nil {
		for _, e := range s.Elements {
			clusterIPs[e.KeyString()] = true
		}
	}
	fkey := func(vip, proto, port string) string { return vip + "|" + proto + "|" + port }
	lb := map[string]bool{}
	if s := t.Set("firewall-ips"); s != nil {
		for _, e := range s.Elements {
			if len(e.Key) == 3 {
				lb[fkey(e.Key[0], e.Key[1], e.Key[2])] = true
			}
		}
	}
	add := func(vip, proto, port, chain, name string, eps []Endpoint, policy string) {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return
		}
		s := Service{Name: name, Port: uint16(p), Protocol: proto, Chain: chain, Endpoints: eps}
		switch {
		case vip == "":
			s.Type = TypeNodePort
		case clusterIPs[vip] && !strings.HasPrefix(chain, "external-"):
			s.Type = TypeClusterIP
		case lb[fkey(vip, proto, port)]:
			s.Type = TypeLoadBalancer
		default:
			s.Type = TypeExternal
		}
		if vip != "" {
			s.VIP, _ = netip.ParseAddr(vip)
		}
		if s.Type != TypeClusterIP && policy == "Local" {
			s.TrafficPolicy = "Local"
		}
		if s.Endpoints == nil {
			s.Endpoints = []Endpoint{}
		}
		seen[fkey(vip, proto, port)] = true
		out = append(out, s)
	}
	if m := t.Set("service-ips"); m != nil {
		for _, e := range m.Elements {
			if len(e.Key) != 3 {
				continue
			}
			chain := elemVerdictChain(e.Value)
			name, _ := nftChainName(chain)
			if name == "" {
				name = e.Comment
			}
			res := d.resolve(chain, 0)
			add(e.Key[0], e.Key[1], e.Key[2], chain, name, res.endpoints, res.policy)
		}
	}
	if m := t.Set("service-nodeports"); m != nil {
		for _, e := range m.Elements {
			if len(e.Key) != 2 {
				continue
			}
			chain := elemVerdictChain(e.Value)
			name, _ := nftChainName(chain)
			if name == "" {
				name = e.Comment
			}
			res := d.resolve(chain, 0)
			add("", e.Key[0], e.Key[1], chain, name, res.endpoints, res.policy)
		}
	}
	// Frontends of services without (local) endpoints; their names are in
	// the element comments.
	for _, m := range []struct {
		name  string
		parts int
	}{{"no-endpoint-services", 3}, {"no-endpoint-nodeports", 2}} {
		set := t.Set(m.name)
		if set == nil {
			continue
		}
		for _, e := range set.Elements {
			if len(e.Key) != m.parts {
				continue
			}
			vip, proto, port := "", e.Key[0], e.Key[1]
			if m.parts == 3 {
				vip, proto, port = e.Key[0], e.Key[1], e.Key[2]
			}
			if seen[fkey(vip, proto, port)] {
				continue
			}
			add(vip, proto, port, elemVerdictChain(e.Value), e.Comment, []Endpoint{}, "")
		}
	}
	sortServices(out)
	return out
}
