package kubeproxy

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/nftables"
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
	t      *nftables.Table
	chains map[string]*nftables.Chain // t's chains by name: 25,000 on a large node
	cache  map[string]resolved
}

func (d *nftDecoder) chain(name string) *nftables.Chain { return d.chains[name] }

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
// endpoint chain a share of the keys; the endpoint chain's dnat gives the
// address. Session affinity is one rule per endpoint before the numgen,
// "ip saddr @affinity-… goto endpoint-…", whose set's timeout is the
// affinity's.
func (d *nftDecoder) endpoints(chain string) resolved {
	res := resolved{endpoints: []Endpoint{}}
	c := d.chain(chain)
	if c == nil {
		return res
	}
	counts := map[string]int{}
	var order []string
	total := 0
	for _, r := range c.Rules {
		if i := strings.Index(r.Text, "@affinity-"); i >= 0 && !strings.Contains(r.Text, "numgen ") {
			name, _, _ := strings.Cut(r.Text[i+1:], " ")
			if set := d.t.Set(name); set != nil && set.Timeout > 0 {
				res.affinity = int(set.Timeout.Seconds())
			}
			continue
		}
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
			res.endpoints = append(res.endpoints, Endpoint{IP: ip, Port: port, Weight: round(w), Live: true})
		}
	}
	return res
}

// resolve follows a service-, local- or external- chain.
func (d *nftDecoder) resolve(chain string, depth int) resolved {
	if r, ok := d.cache[chain]; ok {
		return r
	}
	var res resolved
	switch {
	case depth > 4:
	case strings.HasPrefix(chain, "service-"):
		res = d.endpoints(chain)
		res.policy = "Cluster"
	case strings.HasPrefix(chain, "local-"):
		res = d.endpoints(chain)
		res.policy = "Local"
	case strings.HasPrefix(chain, "external-"):
		c := d.chain(chain)
		if c == nil {
			break
		}
		// Local policy: pod and node traffic is short-circuited to the
		// service- chain first; what falls through goes to local-, or,
		// with no local endpoint, nowhere (no-endpoint-… drops it).
		local := false
		var last string
		for _, r := range c.Rules {
			if strings.Contains(r.Text, "fib saddr type local") || strings.Contains(r.Text, `"short-circuit pod traffic"`) {
				local = true
				continue
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
			res = resolved{policy: "Local", endpoints: []Endpoint{}}
		}
	}
	d.cache[chain] = res
	return res
}

// sourceRanges reads a firewall- chain: "ip saddr != { RANGES } drop". The
// load balancer IPs themselves are in the set when a range holds the node's
// IP; they are kube-proxy's, not the user's.
func (d *nftDecoder) sourceRanges(chain string, lbIPs map[string]bool) []string {
	c := d.chain(chain)
	if c == nil {
		return nil
	}
	var out []string
	for _, r := range c.Rules {
		_, after, ok := strings.Cut(r.Text, "saddr != ")
		if !ok {
			continue
		}
		set := after
		if strings.HasPrefix(after, "{") {
			set, _, _ = strings.Cut(after[1:], "}")
		} else {
			set, _, _ = strings.Cut(after, " ")
		}
		for _, f := range strings.Split(set, ",") {
			f = strings.TrimSpace(f)
			if f == "" || onlyLBIPs(f, lbIPs) {
				continue
			}
			out = append(out, f)
		}
	}
	return out
}

// onlyLBIPs reports whether an element of a firewall set ("IP",
// "PREFIX" or "FIRST-LAST": the kernel merges adjacent addresses into one
// interval) holds nothing but load balancer IPs.
func onlyLBIPs(elem string, lbIPs map[string]bool) bool {
	if lbIPs[elem] {
		return true
	}
	lo, hi, ok := strings.Cut(elem, "-")
	if !ok {
		return false
	}
	a, err1 := netip.ParseAddr(lo)
	b, err2 := netip.ParseAddr(hi)
	if err1 != nil || err2 != nil || b.Less(a) {
		return false
	}
	for n := 0; n <= len(lbIPs); n++ {
		if !lbIPs[a.String()] {
			return false
		}
		if a == b {
			return true
		}
		a = a.Next()
	}
	return false
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

// noEndpointVerdict reads a no-endpoint-… map value: "goto reject-chain"
// rejects, "drop" drops.
func noEndpointVerdict(v string) string {
	if v == "drop" {
		return NoEndpointsDrop
	}
	return NoEndpointsReject
}

// DecodeNFTables decodes kube-proxy's nftables-mode table (table ip or ip6
// kube-proxy): the service-ips and service-nodeports maps, the service-,
// local-, external-, firewall- and endpoint- chains, and the no-endpoint maps.
func DecodeNFTables(t *nftables.Table) []Service {
	d := &nftDecoder{t: t, chains: map[string]*nftables.Chain{}, cache: map[string]resolved{}}
	for i := range t.Chains {
		d.chains[t.Chains[i].Name] = &t.Chains[i]
	}
	family := IPv4
	if t.Family == "ip6" {
		family = IPv6
	}
	out := []Service{}
	index := map[string]int{}
	clusterIPs := map[string]bool{}
	if s := t.Set("cluster-ips"); s != nil {
		for _, e := range s.Elements {
			clusterIPs[e.KeyString()] = true
		}
	}
	fkey := func(vip, proto, port string) string { return vip + "|" + proto + "|" + port }
	// Load balancer frontends with source ranges go through a firewall-
	// chain first.
	firewall := map[string]string{}
	fwIPs := map[string]map[string]bool{}
	if s := t.Set("firewall-ips"); s != nil {
		for _, e := range s.Elements {
			if len(e.Key) == 3 {
				fw := elemVerdictChain(e.Value)
				firewall[fkey(e.Key[0], e.Key[1], e.Key[2])] = fw
				if fwIPs[fw] == nil {
					fwIPs[fw] = map[string]bool{}
				}
				fwIPs[fw][e.Key[0]] = true
			}
		}
	}
	add := func(vip, proto, port, chain, name string, res resolved) *Service {
		if i, ok := index[fkey(vip, proto, port)]; ok {
			return &out[i]
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return nil
		}
		s := Service{Name: name, Port: uint16(p), Protocol: proto, Chain: chain, IPFamily: family, Endpoints: res.endpoints}
		fw, hasFW := firewall[fkey(vip, proto, port)]
		switch {
		case vip == "":
			s.Type = TypeNodePort
		case clusterIPs[vip] && !strings.HasPrefix(chain, "external-"):
			s.Type = TypeClusterIP
		case hasFW:
			s.Type = TypeLoadBalancer
			s.SourceRanges = d.sourceRanges(fw, fwIPs[fw])
		default:
			s.Type = TypeExternal
		}
		if vip != "" {
			s.VIP, _ = netip.ParseAddr(vip)
		}
		setResolved(&s, res)
		if s.Endpoints == nil {
			s.Endpoints = []Endpoint{}
		}
		index[fkey(vip, proto, port)] = len(out)
		out = append(out, s)
		return &out[len(out)-1]
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
			add(e.Key[0], e.Key[1], e.Key[2], chain, name, d.resolve(chain, 0))
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
			add("", e.Key[0], e.Key[1], chain, name, d.resolve(chain, 0))
		}
	}
	// Frontends without (local) endpoints; their names are in the element
	// comments. "goto reject-chain" when the service has no endpoint,
	// "drop" when its traffic policy is Local and this node has none; with
	// externalTrafficPolicy Local the drop stands beside the service-ips
	// element that still takes pod and node traffic.
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
			s := add(vip, proto, port, m.name, e.Comment, resolved{endpoints: []Endpoint{}})
			if s == nil {
				continue
			}
			s.NoEndpoints, s.Endpoints = noEndpointVerdict(e.Value), []Endpoint{}
			if s.NoEndpoints == NoEndpointsDrop {
				s.TrafficPolicy = "Local"
			}
		}
	}
	sortServices(out)
	return out
}
