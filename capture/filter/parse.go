package filter

import "fmt"

// The parser follows libpcap's grammar.y: and/or share one precedence and
// associate to the left, `not` binds tighter, and a bare address after
// and/or inherits the qualifiers of the term before it.

type qual struct {
	proto string // "" default, else a canonical pname keyword
	dir   string // "", "src", "dst", "or", "and"
	addr  string // "", "host", "net", "port", "portrange", "proto", "protochain", "gateway"
	undef bool   // libpcap's qerr: no qualifiers to inherit
}

var qerr = qual{undef: true}

type node interface{}

type nAnd struct{ l, r node }
type nOr struct{ l, r node }
type nNot struct{ x node }

// nID is an address-like operand with its (possibly inherited) qualifiers.
type nID struct {
	q       qual
	tok     token
	maskTok *token // HID mask HID
	maskLen int    // -1 when no /len
	lenTok  token
}

type nAbbrev struct{ tok token } // a bare protocol name such as `tcp`

type nRel struct {
	op   string // ">", ">=", "="
	rev  bool   // "<=", "<", "!=" are the negations
	l, r arith
	tok  token
}

type nOther struct {
	kind string // broadcast multicast less greater byte inbound outbound ifindex vlan mpls pppoed pppoes geneve vxlan
	tok  token
	pq   string
	num  uint32
	has  bool
	op   string
	num2 uint32
	nTok token
}

type arith interface{}

type aNum struct {
	v   uint32
	tok token
}
type aLen struct{}
type aLoad struct {
	proto string
	idx   arith
	size  uint32
	tok   token
}
type aBin struct {
	op   string
	l, r arith
	tok  token
}
type aNeg struct{ x arith }

var pnames = map[string]bool{
	"link": true, "ip": true, "arp": true, "rarp": true, "sctp": true, "tcp": true, "udp": true, "icmp": true,
	"igmp": true, "igrp": true, "pim": true, "vrrp": true, "carp": true, "atalk": true, "aarp": true,
	"decnet": true, "lat": true, "sca": true, "moprc": true, "mopdl": true, "ip6": true, "icmp6": true,
	"ah": true, "esp": true, "iso": true, "esis": true, "isis": true, "l1": true, "l2": true, "iih": true,
	"lsp": true, "snp": true, "csnp": true, "psnp": true, "clnp": true, "stp": true, "ipx": true,
	"netbeui": true, "radio": true,
}

type parser struct {
	toks []token
	i    int
	far  *Error // the error that got furthest, reported when every alternative fails

	// unaries remembers unary's result at each token index. A "(" is
	// first tried as arithmetic and, when that fails, read again as a
	// parenthesised expression: without the memo, n nested parentheses
	// are parsed n times each.
	unaries map[int]unaryResult
	work    int // tokens looked at, for the linearity test
	depth   int // nested terms, ids and operands being read
}

// maxNesting bounds how deep parentheses, `not`s and signs nest. libpcap's
// parser stops a little below 10,000 levels ("memory exhausted"); here
// every level costs a few stack frames, so the bound keeps a hostile
// expression from growing the stack without end.
const maxNesting = 10000

// nest enters one level of nesting at token t; the caller calls p.unnest
// when it returns.
func (p *parser) nest(t token) error {
	p.depth++
	if p.depth > maxNesting {
		return p.errAt(t, fmt.Sprintf("expression nested more than %d levels deep", maxNesting))
	}
	return nil
}

func (p *parser) unnest() { p.depth-- }

type unaryResult struct {
	a   arith
	end int
	err error
}

func parse(expr string) (node, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, nil
	}
	n, _, err := p.expr(qerr)
	if err == nil && p.peek().kind != tEOF {
		err = p.errAt(p.peek(), "syntax error: unexpected token")
	}
	if err != nil {
		if p.far != nil && p.far.Pos > err.(*Error).Pos {
			return nil, p.far
		}
		return nil, err
	}
	return n, nil
}

func (p *parser) peek() token { p.work++; return p.toks[p.i] }
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}
func (p *parser) isKw(t token, kw string) bool { return t.kind == tKw && t.text == kw }
func (p *parser) isOp(t token, op string) bool { return t.kind == tOp && t.text == op }

func (p *parser) errAt(t token, msg string) error {
	e := &Error{Pos: t.pos, Msg: msg}
	if t.kind != tEOF {
		e.Token = t.text
	}
	if p.far == nil || e.Pos > p.far.Pos {
		p.far = e
	}
	return e
}

func (p *parser) expect(op string) (token, error) {
	t := p.peek()
	if !p.isOp(t, op) {
		return t, p.errAt(t, "syntax error: expected \""+op+"\"")
	}
	return p.next(), nil
}

func (p *parser) expr(q qual) (node, qual, error) {
	left, q, err := p.term(q)
	if err != nil {
		return nil, q, err
	}
	for {
		t := p.peek()
		if !p.isKw(t, "and") && !p.isKw(t, "or") {
			return left, q, nil
		}
		p.next()
		save := p.i
		right, q2, err := p.term(q)
		if err != nil {
			p.i = save
			var err2 error
			right, err2 = p.id(q)
			if err2 != nil {
				return nil, q, err
			}
			q2 = q
		}
		if t.text == "and" {
			left = &nAnd{left, right}
		} else {
			left = &nOr{left, right}
		}
		q = q2
	}
}

func (p *parser) term(q qual) (node, qual, error) {
	defer p.unnest()
	if err := p.nest(p.peek()); err != nil {
		return nil, q, err
	}
	if p.isKw(p.peek(), "not") {
		p.next()
		x, q2, err := p.term(q)
		if err != nil {
			return nil, q, err
		}
		return &nNot{x}, q2, nil
	}
	return p.rterm(q)
}

func (p *parser) rterm(q qual) (node, qual, error) {
	t := p.peek()
	switch {
	case p.isOp(t, "("):
		save := p.i
		if n, err := p.relation(); err == nil {
			return n, qerr, nil
		}
		p.i = save
		p.next()
		n, _, err := p.expr(q)
		if err != nil {
			return nil, q, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, q, err
		}
		return n, q, nil
	case t.kind == tNUM || p.isKw(t, "len") || p.isOp(t, "-"):
		n, err := p.relation()
		return n, qerr, err
	case t.kind == tKw && pnames[t.text]:
		nx := p.peekN(1)
		switch {
		case p.isOp(nx, "["):
			n, err := p.relation()
			return n, qerr, err
		case t.text == "link" && (p.isKw(nx, "type") || p.isKw(nx, "subtype") || p.isKw(nx, "dir")):
			// `wlan type data`: libpcap reaches the 802.11 refusal.
			p.next()
			n, err := p.other()
			return n, qerr, err
		case nx.kind == tKw && isHeadKw(nx.text):
			return p.headID()
		case p.isKw(nx, "broadcast") || p.isKw(nx, "multicast"):
			p.next()
			p.next()
			return &nOther{kind: nx.text, tok: nx, pq: t.text}, qerr, nil
		}
		p.next()
		return &nAbbrev{tok: t}, qerr, nil
	case t.kind == tKw && isHeadKw(t.text):
		return p.headID()
	case t.kind == tKw:
		n, err := p.other()
		return n, qerr, err
	}
	return nil, q, p.errAt(t, "syntax error: expected a primitive")
}

func isHeadKw(s string) bool {
	switch s {
	case "src", "dst", "host", "net", "port", "portrange", "gateway", "proto", "protochain",
		"addr1", "addr2", "addr3", "addr4", "ra", "ta":
		return true
	}
	return false
}

func (p *parser) headID() (node, qual, error) {
	q := qual{}
	t := p.peek()
	if t.kind == tKw && pnames[t.text] {
		q.proto = t.text
		p.next()
	}
	t = p.peek()
	hasDir := false
	if p.isKw(t, "src") || p.isKw(t, "dst") {
		p.next()
		hasDir = true
		q.dir = t.text
		c := p.peek()
		if p.isKw(c, "or") || p.isKw(c, "and") {
			p.next()
			d := p.peek()
			other := "dst"
			if t.text == "dst" {
				other = "src"
			}
			if !p.isKw(d, other) {
				return nil, q, p.errAt(d, "syntax error: expected \""+other+"\"")
			}
			p.next()
			q.dir = c.text
		}
	} else if t.kind == tKw {
		switch t.text {
		case "addr1", "addr2", "addr3", "addr4":
			return nil, q, p.errAt(t, "'"+t.text+"' and 'address"+t.text[4:]+"' are only supported on 802.11 with 802.11 headers")
		case "ra", "ta":
			return nil, q, p.errAt(t, "'"+t.text+"' is only supported on 802.11 with 802.11 headers")
		}
	}
	t = p.peek()
	if t.kind == tKw {
		switch t.text {
		case "host", "net", "port", "portrange":
			p.next()
			q.addr = t.text
		case "gateway", "proto", "protochain":
			if hasDir {
				return nil, q, p.errAt(t, "syntax error: direction qualifier before \""+t.text+"\"")
			}
			p.next()
			q.addr = t.text
		}
	}
	n, err := p.id(q)
	return n, q, err
}

// id parses libpcap's `id`: an address, number, name, `not id`, or a
// parenthesised list of them joined by and/or, all sharing qualifiers q.
func (p *parser) id(q qual) (node, error) {
	defer p.unnest()
	if err := p.nest(p.peek()); err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case p.isKw(t, "not"):
		p.next()
		x, err := p.id(q)
		if err != nil {
			return nil, err
		}
		return &nNot{x}, nil
	case p.isOp(t, "("):
		p.next()
		left, err := p.id(q)
		if err != nil {
			return nil, err
		}
		for {
			c := p.peek()
			if p.isOp(c, ")") {
				p.next()
				return left, nil
			}
			if !p.isKw(c, "and") && !p.isKw(c, "or") {
				return nil, p.errAt(c, "syntax error: expected \")\"")
			}
			p.next()
			right, err := p.id(q)
			if err != nil {
				return nil, err
			}
			if c.text == "and" {
				left = &nAnd{left, right}
			} else {
				left = &nOr{left, right}
			}
		}
	case t.kind == tNUM || t.kind == tID || t.kind == tEID || t.kind == tHID6 || t.kind == tAID:
		p.next()
		n := &nID{q: q, tok: t, maskLen: -1}
		if t.kind == tHID6 && p.isOp(p.peek(), "/") {
			p.next()
			l := p.peek()
			if l.kind != tNUM {
				return nil, p.errAt(l, "syntax error: expected a mask length")
			}
			p.next()
			n.maskLen, n.lenTok = int(l.num), l
		}
		if t.kind == tNUM && p.isOp(p.peek(), "/") {
			// libpcap reads "10/8" as HID '/' NUM only for dotted forms; a
			// plain number followed by '/' is arithmetic, which is an error here.
			return nil, p.errAt(p.peek(), "syntax error: unexpected \"/\"")
		}
		return n, nil
	case t.kind == tHID:
		p.next()
		n := &nID{q: q, tok: t, maskLen: -1}
		switch c := p.peek(); {
		case p.isOp(c, "/"):
			p.next()
			l := p.peek()
			if l.kind != tNUM {
				return nil, p.errAt(l, "syntax error: expected a mask length")
			}
			p.next()
			n.maskLen, n.lenTok = int(l.num), l
		case p.isKw(c, "mask"):
			p.next()
			m := p.peek()
			if m.kind != tHID {
				return nil, p.errAt(m, "syntax error: expected a dotted netmask")
			}
			p.next()
			n.maskTok = &m
		}
		return n, nil
	}
	return nil, p.errAt(t, "syntax error: expected an address, number or name")
}

func (p *parser) pnum() (token, bool) {
	save := p.i
	depth := 0
	for p.isOp(p.peek(), "(") {
		p.next()
		depth++
	}
	t := p.peek()
	if t.kind != tNUM {
		p.i = save
		return t, false
	}
	p.next()
	for ; depth > 0; depth-- {
		if !p.isOp(p.peek(), ")") {
			p.i = save
			return t, false
		}
		p.next()
	}
	return t, true
}

func (p *parser) other() (node, error) {
	t := p.next()
	n := &nOther{kind: t.text, tok: t}
	switch t.text {
	case "broadcast", "multicast", "inbound", "outbound", "pppoed":
		return n, nil
	case "less", "greater", "ifindex":
		v, ok := p.pnum()
		if !ok || p.isOp(v, "(") {
			return nil, p.errAt(p.peek(), "syntax error: \""+t.text+"\" needs a number")
		}
		n.num, n.has, n.nTok = v.num, true, v
		return n, nil
	case "vlan", "mpls", "pppoes", "geneve", "vxlan":
		if v, ok := p.pnum(); ok {
			n.num, n.has, n.nTok = v.num, true, v
		}
		return n, nil
	case "byte":
		v := p.next()
		if v.kind != tNUM {
			return nil, p.errAt(v, "syntax error: \"byte\" needs an offset")
		}
		op := p.next()
		if op.kind != tOp || !(op.text == "&" || op.text == "|" || op.text == "<" || op.text == ">" || op.text == "=") {
			return nil, p.errAt(op, "syntax error: expected one of & | < > =")
		}
		w := p.next()
		if w.kind != tNUM {
			return nil, p.errAt(w, "syntax error: \"byte\" needs a value")
		}
		n.num, n.op, n.num2 = v.num, op.text, w.num
		return n, nil
	case "llc":
		// libpcap's pllc: `llc`, `llc NAME`, and `llc rnr`, where rnr is
		// a pf keyword to its scanner.
		switch c := p.peek(); {
		case c.kind == tID:
			p.next()
			n.pq, n.nTok = c.text, c
		case p.isKw(c, "pfrnr"):
			p.next()
			n.pq, n.nTok = "rnr", c
		}
		return n, nil
	case "atm", "pf", "pfrnr", "ss7", "lane", "type", "subtype", "dir":
		err := p.errAt(t, otherLinkTypeMsg(t.word)).(*Error)
		err.Token = t.word
		return nil, err
	}
	return nil, p.errAt(t, "syntax error: unexpected \""+t.text+"\"")
}

// otherLinkTypeMsg is libpcap 1.10's refusal of a keyword of the SS7, ATM,
// pf and 802.11 link types, which netdiag does not compile for.
func otherLinkTypeMsg(word string) string {
	alias := map[string]string{"lsu": "lssu", "hsio": "sio", "hopc": "opc", "hdpc": "dpc", "hsls": "sls",
		"oamf4ec": "oam4ec", "oamf4sc": "oam4sc", "rulenum": "rnr", "subrulenum": "srnr", "rset": "ruleset",
		"on": "ifname"}
	name := word
	if a, ok := alias[word]; ok {
		name = a
	}
	switch name {
	case "fisu", "lssu", "msu":
		return "'" + name + "' supported only on MTP2"
	case "hfisu", "hlssu", "hmsu":
		return "'" + name + "' supported only on MTP2_HSL"
	case "sio", "opc", "dpc", "sls":
		return "'" + name + "' supported only on SS7"
	case "reason", "action", "rnr", "srnr", "ruleset", "ifname":
		return name + " supported only on PF linktype"
	case "type", "subtype":
		return "802.11 link-layer types supported only on 802.11"
	case "dir", "direction":
		return "frame direction supported only with 802.11 headers"
	}
	return "'" + name + "' supported only on raw ATM"
}

var relops = map[string]struct {
	op  string
	rev bool
}{">": {">", false}, ">=": {">=", false}, "=": {"=", false}, "<=": {">", true}, "<": {">=", true}, "!=": {"=", true}}

func (p *parser) relation() (node, error) {
	l, err := p.arith(0)
	if err != nil {
		return nil, err
	}
	t := p.peek()
	ro, ok := relops[t.text]
	if t.kind != tOp || !ok {
		return nil, p.errAt(t, "syntax error: expected a comparison operator")
	}
	p.next()
	r, err := p.arith(0)
	if err != nil {
		return nil, err
	}
	return &nRel{op: ro.op, rev: ro.rev, l: l, r: r, tok: t}, nil
}

var binPrec = map[string]int{"|": 1, "^": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}

func (p *parser) arith(minPrec int) (arith, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		prec, ok := binPrec[t.text]
		if t.kind != tOp || !ok || prec <= minPrec {
			return l, nil
		}
		p.next()
		r, err := p.arith(prec)
		if err != nil {
			return nil, err
		}
		l = &aBin{op: t.text, l: l, r: r, tok: t}
	}
}

func (p *parser) unary() (arith, error) {
	start := p.i
	if r, ok := p.unaries[start]; ok {
		p.i = r.end
		return r.a, r.err
	}
	var a arith
	err := p.nest(p.peek())
	if err == nil {
		a, err = p.unary1()
	}
	p.unnest()
	if p.unaries == nil {
		p.unaries = map[int]unaryResult{}
	}
	p.unaries[start] = unaryResult{a: a, end: p.i, err: err}
	return a, err
}

func (p *parser) unary1() (arith, error) {
	t := p.peek()
	switch {
	case t.kind == tNUM:
		p.next()
		return &aNum{v: t.num, tok: t}, nil
	case p.isKw(t, "len"):
		p.next()
		return &aLen{}, nil
	case p.isOp(t, "-"):
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &aNeg{x}, nil
	case p.isOp(t, "("):
		p.next()
		x, err := p.arith(0)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return x, nil
	case t.kind == tKw && pnames[t.text]:
		p.next()
		if _, err := p.expect("["); err != nil {
			return nil, err
		}
		idx, err := p.arith(0)
		if err != nil {
			return nil, err
		}
		size := uint32(1)
		if p.isOp(p.peek(), ":") {
			p.next()
			s := p.next()
			if s.kind != tNUM {
				return nil, p.errAt(s, "syntax error: expected a size")
			}
			if s.num != 1 && s.num != 2 && s.num != 4 {
				return nil, p.errAt(s, "data size must be 1, 2, or 4")
			}
			size = s.num
		}
		if _, err := p.expect("]"); err != nil {
			return nil, err
		}
		return &aLoad{proto: t.text, idx: idx, size: size, tok: t}, nil
	}
	return nil, p.errAt(t, "syntax error: expected a number, len or proto[offset]")
}
