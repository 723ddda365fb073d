package kubeproxy

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/iptables"
)

// rule is what the decoder needs from one iptables rule.
type rule struct {
	src, dst    string
	notSrc      bool
	inIface     string
	proto       string
	dport       uint16
	comment     string
	target      string
	toDest      string
	probability float64 // 0 when the rule has no statistic match
	dstLocal    bool    // -m addrtype --dst-type LOCAL
	srcLocal    bool
	// -m recent --rcheck --seconds N: session affinity (kube-proxy's
	// ClientIP), N seconds.
	rcheck  bool
	seconds int
}

func parseRule(spec string) rule {
	r := rule{}
	tk := tokenizer{s: spec}
	neg := false
	for {
		a, ok := tk.next()
		if !ok {
			break
		}
		next := func() string {
			v, _ := tk.next()
			return v
		}
		switch a {
		case "!":
			neg = true
			continue
		case "-s", "--source":
			r.src, r.notSrc = next(), neg
		case "-d", "--destination":
			r.dst = next()
		case "-i", "--in-interface":
			r.inIface = next()
		case "-p", "--protocol":
			r.proto = next()
		case "--dport", "--destination-port":
			if p, err := strconv.ParseUint(next(), 10, 16); err == nil {
				r.dport = uint16(p)
			}
		case "--comment":
			r.comment = next()
		case "-j", "--jump", "-g", "--goto":
			r.target = next()
		case "--to-destination":
			r.toDest = next()
		case "--probability":
			r.probability, _ = strconv.ParseFloat(next(), 64)
		case "--dst-type":
			r.dstLocal = next() == "LOCAL"
		case "--src-type":
			r.srcLocal = next() == "LOCAL"
		case "--rcheck":
			r.rcheck = true
		case "--seconds":
			r.seconds, _ = strconv.Atoi(next())
		}
		neg = false
	}
	return r
}

// tokenizer splits a rule spec like iptables.SplitArgs without
// building a slice; unquoted words are substrings of the spec.
type tokenizer struct {
	s string
	i int
}

func (t *tokenizer) next() (string, bool) {
	s := t.s
	for t.i < len(s) && s[t.i] == ' ' {
		t.i++
	}
	if t.i >= len(s) {
		return "", false
	}
	if s[t.i] != '"' {
		start := t.i
		for t.i < len(s) && s[t.i] != ' ' {
			t.i++
		}
		return s[start:t.i], true
	}
	t.i++
	start := t.i
	for t.i < len(s) && s[t.i] != '"' {
		if s[t.i] == '\\' {
			// Rare: fall back to the general splitter for escapes.
			rest := iptables.SplitArgs(s[start-1:])
			if len(rest) == 0 {
				return "", false
			}
			// Skip past the quoted word.
			for t.i < len(s) && s[t.i] != '"' {
				if s[t.i] == '\\' {
					t.i++
				}
				t.i++
			}
			t.i++
			return rest[0], true
		}
		t.i++
	}
	w := s[start:t.i]
	t.i++
	return w, true
}

// ipt decodes the nat table of one ruleset, caching parsed chains.
type ipt struct {
	nat    *iptables.Table
	chains map[string]*iptables.Chain
	parsed map[string][]rule
	// lbIPs are the load balancer IPs that jump to each KUBE-FW- chain: a
	// source range equal to one of them is kube-proxy's own, not the user's.
	lbIPs map[string]map[string]bool
}

func (d *ipt) rules(chain string) []rule {
	if rs, ok := d.parsed[chain]; ok {
		return rs
	}
	c := d.chains[chain]
	if c == nil {
		return nil
	}
	rs := make([]rule, len(c.Rules))
	for i, r := range c.Rules {
		rs[i] = parseRule(r.Spec)
	}
	d.parsed[chain] = rs
	return rs
}

type resolved struct {
	endpoints []Endpoint
	policy    string
	ranges    []string
	affinity  int // ClientIP affinity timeout in seconds; 0: none
}

func isPolicyChain(c string) bool {
	return strings.HasPrefix(c, "KUBE-SVC-") || strings.HasPrefix(c, "KUBE-SVL-")
}

// resolve follows a service chain down to its endpoints.
func (d *ipt) resolve(chain string, depth int) resolved {
	if depth > 4 {
		return resolved{}
	}
	switch {
	case isPolicyChain(chain):
		res := resolved{policy: "Cluster"}
		if strings.HasPrefix(chain, "KUBE-SVL-") {
			res.policy = "Local"
		}
		type cand struct {
			sep   string
			share float64
		}
		var cands []cand
		left := 1.0
		for _, r := range d.rules(chain) {
			if !strings.HasPrefix(r.target, "KUBE-SEP-") {
				continue
			}
			if r.rcheck {
				// Session affinity: "-m recent --rcheck" sends a client
				// seen within --seconds back to the same endpoint; the
				// statistic rules after it share out everyone else.
				res.affinity = r.seconds
				continue
			}
			p := 1.0
			if r.probability > 0 {
				p = r.probability
			}
			cands = append(cands, cand{r.target, left * p})
			left -= left * p
		}
		res.endpoints = []Endpoint{}
		for _, c := range cands {
			for _, r := range d.rules(c.sep) {
				if r.target != "DNAT" {
					continue
				}
				ip, port, ok := parseEndpoint(r.toDest)
				if !ok {
					continue
				}
				res.endpoints = append(res.endpoints, Endpoint{IP: ip, Port: port, Weight: round(c.share * float64(len(cands))), Live: true})
			}
		}
		return res
	case strings.HasPrefix(chain, "KUBE-EXT-"):
		// With externalTrafficPolicy Local the chain first sends pod and
		// node traffic to the cluster-wide KUBE-SVC- chain; what falls
		// through goes to KUBE-SVL- (local endpoints), and when there are
		// none nowhere: the filter table drops it. With Cluster it
		// marks for masquerade and jumps to KUBE-SVC-.
		var target string
		local := false
		for _, r := range d.rules(chain) {
			if r.srcLocal || strings.HasPrefix(r.comment, "pod traffic for ") {
				local = true
				continue
			}
			if r.src == "" && r.inIface == "" && isPolicyChain(r.target) {
				target = r.target
			}
		}
		switch {
		case target != "":
			return d.resolve(target, depth+1)
		case local:
			return resolved{policy: "Local", endpoints: []Endpoint{}}
		}
		return resolved{}
	case strings.HasPrefix(chain, "KUBE-FW-"):
		// loadBalancerSourceRanges: one jump per allowed range; the load
		// balancer IPs themselves when a range holds the node's IP. What
		// falls through is dropped (KUBE-PROXY-FIREWALL in the filter
		// table; KUBE-MARK-DROP before kube-proxy 1.25).
		var ranges []string
		var target string
		for _, r := range d.rules(chain) {
			if !strings.HasPrefix(r.target, "KUBE-EXT-") && !isPolicyChain(r.target) {
				continue
			}
			if r.src != "" && !r.notSrc && !d.lbIPs[chain][addrOf(r.src).String()] {
				ranges = append(ranges, r.src)
			}
			if target == "" {
				target = r.target
			}
		}
		res := resolved{}
		if target != "" {
			res = d.resolve(target, depth+1)
		}
		res.ranges = ranges
		return res
	}
	return resolved{}
}

// frontendKind splits a KUBE-SERVICES comment "ns/svc:port cluster IP".
func frontendKind(comment string) (string, string) {
	for _, k := range []struct{ suffix, kind string }{
		{" cluster IP", TypeClusterIP},
		{" external IP", TypeExternalIP},
		{" loadbalancer IP", TypeLoadBalancer},
	} {
		if n, ok := strings.CutSuffix(comment, k.suffix); ok {
			return n, k.kind
		}
	}
	return comment, TypeClusterIP
}

func addrOf(s string) netip.Addr {
	if p, err := netip.ParsePrefix(s); err == nil && p.IsSingleIP() {
		return p.Addr()
	}
	a, _ := netip.ParseAddr(s)
	return a
}

// DecodeIPTables decodes kube-proxy's iptables-mode rules (the nat and filter
// tables of one backend and family) into one Service per frontend. The
// family is read from the addresses in the rules (IPv4 when there are none).
func DecodeIPTables(rs *iptables.Ruleset) []Service {
	return decodeIPTables(rs, "")
}

func decodeIPTables(rs *iptables.Ruleset, family string) []Service {
	out := []Service{}
	index := map[string]int{}
	// A frontend is one (name, address, port, protocol); the type is not
	// part of it because the filter table cannot tell an external IP from
	// a load balancer IP.
	key := func(s Service) string {
		t := ""
		if !s.VIP.IsValid() {
			t = TypeNodePort
		}
		return s.Name + "|" + s.VIP.String() + "|" + strconv.Itoa(int(s.Port)) + "|" + s.Protocol + "|" + t
	}
	add := func(s Service) *Service {
		k := key(s)
		if i, ok := index[k]; ok {
			return &out[i]
		}
		if s.Endpoints == nil {
			s.Endpoints = []Endpoint{}
		}
		index[k] = len(out)
		out = append(out, s)
		return &out[len(out)-1]
	}
	if nat := rs.Table("nat"); nat != nil {
		d := &ipt{nat: nat, chains: map[string]*iptables.Chain{}, parsed: map[string][]rule{}, lbIPs: map[string]map[string]bool{}}
		for i := range nat.Chains {
			d.chains[nat.Chains[i].Name] = &nat.Chains[i]
		}
		isSvc := func(t string) bool {
			return isPolicyChain(t) || strings.HasPrefix(t, "KUBE-EXT-") || strings.HasPrefix(t, "KUBE-FW-")
		}
		svcRules := d.rules("KUBE-SERVICES")
		for _, r := range svcRules {
			if strings.HasPrefix(r.target, "KUBE-FW-") && r.dst != "" {
				if d.lbIPs[r.target] == nil {
					d.lbIPs[r.target] = map[string]bool{}
				}
				d.lbIPs[r.target][addrOf(r.dst).String()] = true
			}
		}
		for _, r := range svcRules {
			if !isSvc(r.target) || r.dst == "" {
				continue
			}
			name, kind := frontendKind(r.comment)
			res := d.resolve(r.target, 0)
			s := add(Service{Name: name, VIP: addrOf(r.dst), Port: r.dport, Protocol: r.proto, Type: kind, Chain: r.target,
				SourceRanges: res.ranges, Endpoints: res.endpoints})
			setResolved(s, res)
		}
		for _, r := range d.rules("KUBE-NODEPORTS") {
			// kube-proxy also writes a rule for -d 127.0.0.0/8 (localhost
			// NodePorts): the same frontend.
			if !isSvc(r.target) || r.dport == 0 {
				continue
			}
			res := d.resolve(r.target, 0)
			s := add(Service{Name: r.comment, Port: r.dport, Protocol: r.proto, Type: TypeNodePort, Chain: r.target, Endpoints: res.endpoints})
			setResolved(s, res)
		}
	}
	// Services without endpoints have only filter rules: REJECT when the
	// service has no endpoint at all, DROP ("has no local endpoints") when
	// its traffic policy is Local and this node has none. With
	// externalTrafficPolicy Local the DROP stands beside the nat rules that
	// still send pod and node traffic to the cluster's endpoints.
	if f := rs.Table("filter"); f != nil {
		for _, chain := range []string{"KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES"} {
			c := f.Chain(chain)
			if c == nil {
				continue
			}
			for _, sr := range c.Rules {
				r := parseRule(sr.Spec)
				if r.dport == 0 {
					continue
				}
				verdict, policy := "", ""
				name, ok := strings.CutSuffix(r.comment, " has no endpoints")
				if ok {
					verdict = NoEndpointsReject
				} else if name, ok = strings.CutSuffix(r.comment, " has no local endpoints"); ok {
					verdict, policy = NoEndpointsDrop, "Local"
				} else {
					continue
				}
				// The target says what happens; the comment why.
				switch r.target {
				case "REJECT":
					verdict = NoEndpointsReject
				case "DROP":
					verdict = NoEndpointsDrop
				}
				s := Service{Name: name, Port: r.dport, Protocol: r.proto, Chain: chain}
				switch {
				case r.dst != "" && chain == "KUBE-SERVICES":
					s.Type, s.VIP = TypeClusterIP, addrOf(r.dst)
				case r.dst != "":
					s.Type, s.VIP = TypeExternal, addrOf(r.dst)
				default:
					s.Type = TypeNodePort
				}
				p := add(s)
				p.NoEndpoints, p.Endpoints = verdict, []Endpoint{}
				if policy != "" {
					p.TrafficPolicy = policy
				}
			}
		}
	}
	if family == "" {
		family = rulesetFamily(out)
	}
	for i := range out {
		out[i].IPFamily = family
	}
	sortServices(out)
	return out
}

// setResolved copies what resolve found about policy and affinity.
func setResolved(s *Service, res resolved) {
	if res.policy == "Local" {
		s.TrafficPolicy = "Local"
	}
	if res.affinity > 0 {
		s.SessionAffinity, s.SessionAffinityTimeout = "ClientIP", res.affinity
	}
}

// rulesetFamily tells IPv4 from IPv6 rules by their addresses.
func rulesetFamily(svcs []Service) string {
	for _, s := range svcs {
		if s.VIP.IsValid() {
			return familyOf(s.VIP)
		}
		for _, e := range s.Endpoints {
			return familyOf(e.IP)
		}
	}
	return IPv4
}
