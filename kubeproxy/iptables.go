package kubeproxy

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/netstate"
)

// rule is what the decoder needs from one iptables rule.
type rule struct {
	src, dst    string
	notSrc      bool
	proto       string
	dport       uint16
	comment     string
	target      string
	toDest      string
	probability float64 // 0 when the rule has no statistic match
	dstLocal    bool    // -m addrtype --dst-type LOCAL
	srcLocal    bool
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
		}
		neg = false
	}
	return r
}

// tokenizer splits a rule spec like netstate.IPTablesSplitArgs without
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
			rest := netstate.IPTablesSplitArgs(s[start-1:])
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
	nat    *netstate.IPTablesTable
	chains map[string]*netstate.IPTablesChain
	parsed map[string][]rule
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
}

// resolve follows a service chain down to its endpoints.
func (d *ipt) resolve(chain string, depth int) resolved {
	if depth > 4 {
		return resolved{}
	}
	switch {
	case strings.HasPrefix(chain, "KUBE-SVC-"), strings.HasPrefix(chain, "KUBE-SVL-"):
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
			p := 1.0
			if r.probability > 0 {
				p = r.probability
			}
			cands = append(cands, cand{r.target, left * p})
			left -= left * p
		}
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
		// The last unconditional jump is where external traffic goes: to
		// KUBE-SVC- (Cluster) or KUBE-SVL- (Local).
		var target string
		for _, r := range d.rules(chain) {
			if r.src == "" && !r.srcLocal && (strings.HasPrefix(r.target, "KUBE-SVC-") || strings.HasPrefix(r.target, "KUBE-SVL-")) {
				target = r.target
			}
		}
		if target == "" {
			return resolved{}
		}
		return d.resolve(target, depth+1)
	case strings.HasPrefix(chain, "KUBE-FW-"):
		var ranges []string
		var target string
		for _, r := range d.rules(chain) {
			if strings.HasPrefix(r.target, "KUBE-EXT-") || strings.HasPrefix(r.target, "KUBE-SVC-") || strings.HasPrefix(r.target, "KUBE-SVL-") {
				if r.src != "" && !r.notSrc {
					ranges = append(ranges, r.src)
				}
				if target == "" {
					target = r.target
				}
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
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/32"), "/128")
	a, _ := netip.ParseAddr(s)
	return a
}

// DecodeIPTables decodes kube-proxy's iptables-mode rules (the nat and filter
// tables of one backend) into one Service per frontend.
func DecodeIPTables(rs *netstate.IPTablesRuleset) []Service {
	out := []Service{}
	seen := map[string]bool{}
	key := func(s Service) string {
		return s.Name + "|" + s.VIP.String() + "|" + strconv.Itoa(int(s.Port)) + "|" + s.Protocol + "|" + s.Type
	}
	add := func(s Service) {
		if k := key(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	if nat := rs.Table("nat"); nat != nil {
		d := &ipt{nat: nat, chains: map[string]*netstate.IPTablesChain{}, parsed: map[string][]rule{}}
		for i := range nat.Chains {
			d.chains[nat.Chains[i].Name] = &nat.Chains[i]
		}
		isSvc := func(t string) bool {
			return strings.HasPrefix(t, "KUBE-SVC-") || strings.HasPrefix(t, "KUBE-EXT-") || strings.HasPrefix(t, "KUBE-FW-") || strings.HasPrefix(t, "KUBE-SVL-")
		}
		for _, r := range d.rules("KUBE-SERVICES") {
			if !isSvc(r.target) || r.dst == "" {
				continue
			}
			name, kind := frontendKind(r.comment)
			res := d.resolve(r.target, 0)
			s := Service{Name: name, VIP: addrOf(r.dst), Port: r.dport, Protocol: r.proto, Type: kind, Chain: r.target,
				SourceRanges: res.ranges, Endpoints: res.endpoints}
			if kind != TypeClusterIP && res.policy == "Local" {
				s.TrafficPolicy = "Local"
			}
			if s.Endpoints == nil {
				s.Endpoints = []Endpoint{}
			}
			add(s)
		}
		for _, r := range d.rules("KUBE-NODEPORTS") {
			if !isSvc(r.target) || r.dport == 0 {
				continue
			}
			res := d.resolve(r.target, 0)
			s := Service{Name: r.comment, Port: r.dport, Protocol: r.proto, Type: TypeNodePort, Chain: r.target, Endpoints: res.endpoints}
			if res.policy == "Local" {
				s.TrafficPolicy = "Local"
			}
			if s.Endpoints == nil {
				s.Endpoints = []Endpoint{}
			}
			add(s)
		}
	}
	// Services without endpoints only appear as REJECT rules in the filter table.
	if f := rs.Table("filter"); f != nil {
		for _, chain := range []string{"KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES"} {
			c := f.Chain(chain)
			if c == nil {
				continue
			}
			for _, sr := range c.Rules {
				r := parseRule(sr.Spec)
				name, ok := strings.CutSuffix(r.comment, " has no endpoints")
				if !ok || r.dport == 0 {
					continue
				}
				s := Service{Name: name, Port: r.dport, Protocol: r.proto, Endpoints: []Endpoint{}, Chain: chain}
				switch {
				case r.dst != "" && chain == "KUBE-SERVICES":
					s.Type, s.VIP = TypeClusterIP, addrOf(r.dst)
				case r.dst != "":
					s.Type, s.VIP = TypeExternal, addrOf(r.dst)
				default:
					s.Type = TypeNodePort
				}
				add(s)
			}
		}
	}
	sortServices(out)
	return out
}
