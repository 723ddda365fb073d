package filter

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// DefaultSnaplen is tcpdump's default snapshot length, returned on accept
// when Compile is given a snaplen of 0.
const DefaultSnaplen = 262144

// Option changes how Compile works.
type Option func(*options)

type options struct {
	savefile   bool
	noOptimize bool
	hostsFile  string
	ethers     string
	networks   string
	allowDNS   bool
	anyLength  bool
}

// MaxInstructions is the longest program the kernel attaches
// (BPF_MAXINSNS).
const MaxInstructions = maxInsns

// AnyLength lets Compile return a program longer than MaxInstructions, as
// libpcap's pcap_compile does and tcpdump -d prints it. The kernel refuses
// such a program; the VM (Run) runs it. Without it, Compile returns
// ErrTooLong.
func AnyLength() Option { return func(o *options) { o.anyLength = true } }

// NoOptimize skips the optimizer, like tcpdump -O.
func NoOptimize() Option { return func(o *options) { o.noOptimize = true } }

// HostsFile makes host names resolve from this hosts(5) file (default
// /etc/hosts). Names never go to DNS unless AllowDNS is also given.
func HostsFile(path string) Option { return func(o *options) { o.hostsFile = path } }

// EthersFile makes `ether host NAME` resolve from this ethers(5) file
// (default /etc/ethers).
func EthersFile(path string) Option { return func(o *options) { o.ethers = path } }

// NetworksFile makes `net NAME` resolve from this networks(5) file (default
// /etc/networks).
func NetworksFile(path string) Option { return func(o *options) { o.networks = path } }

// Savefile compiles for reading a capture file, as tcpdump -r does: the
// direction and interface of a packet are then known only from a cooked
// header, so inbound, outbound and ifindex are errors on other link types.
func Savefile() Option { return func(o *options) { o.savefile = true } }

// AllowDNS lets names missing from the hosts file resolve through DNS.
func AllowDNS() Option { return func(o *options) { o.allowDNS = true } }

var (
	// ErrRejectsAll is returned when the optimized program can never
	// accept, as libpcap reports it.
	ErrRejectsAll = errors.New("expression rejects all packets")
	// ErrTooLong is returned, wrapped with the length, for a program longer
	// than the kernel takes (see AnyLength).
	ErrTooLong = fmt.Errorf("program longer than the kernel's %d instructions", maxInsns)
)

// Compile turns a pcap-filter(7) expression into classic BPF for link type
// lt. Accepted packets return snaplen (DefaultSnaplen when 0). An empty
// expression accepts everything. Errors are *Error values naming the token
// and column where possible. As in libpcap, programs with geneve, vxlan or
// protochain are not optimized: they carry offsets between blocks in
// scratch words, which the optimizer does not track.
func Compile(expr string, lt LinkType, snaplen uint32, opts ...Option) (prog []bpf.RawInstruction, err error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if snaplen == 0 {
		snaplen = DefaultSnaplen
	}
	if _, ok := linkNames[lt]; !ok || lt == linkPPP {
		return nil, fmt.Errorf("compile filter: unsupported link type %d", int(lt))
	}
	ast, err := parse(expr)
	if err != nil {
		return nil, err
	}
	accept := &block{leaf: true, ret: ins(opRET|retK, snaplen)}
	if ast == nil {
		return []bpf.RawInstruction{accept.ret}, nil
	}
	g := newGen(lt, snaplen, &resolver{hostsFile: o.hostsFile, ethersFile: o.ethers, networksFile: o.networks, allowDNS: o.allowDNS})
	g.savefile = o.savefile
	defer func() {
		if r := recover(); r != nil {
			ge, ok := r.(genError)
			if !ok {
				panic(r)
			}
			prog, err = nil, ge.err
		}
	}()
	c := g.node(ast)
	reject := &block{leaf: true, ret: ins(opRET|retK, 0)}
	patch(c.t, accept)
	patch(c.f, reject)
	root := c.entry
	if !o.noOptimize && !g.noOptimize {
		root = optimize(root)
		if root.leaf && root.ret.K == 0 {
			return nil, ErrRejectsAll
		}
	}
	prog = emit(root)
	if g.nextReg > 0 && checkMemInit(prog) != nil {
		// After `geneve or …` the other branch reads the tunnel's offset
		// words unwritten; the kernel refuses that, so start them at 0,
		// the value libpcap's and this package's interpreters give them.
		init := []bpf.RawInstruction{ins(opLD|mIMM, 0)}
		for r := 0; r < g.nextReg; r++ {
			init = append(init, ins(opST, uint32(r)))
		}
		prog = append(init, prog...)
	}
	if len(prog) > maxInsns && !o.anyLength {
		return nil, fmt.Errorf("compile filter: %d instructions: %w", len(prog), ErrTooLong)
	}
	return prog, nil
}

func (g *gen) node(n node) cond {
	switch n := n.(type) {
	case *nAnd:
		l := g.node(n.l)
		return and(l, g.node(n.r))
	case *nOr:
		l := g.node(n.l)
		return or(l, g.node(n.r))
	case *nNot:
		return not(g.node(n.x))
	case *nID:
		return g.id(n)
	case *nAbbrev:
		return g.abbrev(n.tok, n.tok.text)
	case *nRel:
		return g.relation(n)
	case *nOther:
		return g.other(n)
	}
	panic(fmt.Sprintf("filter: unknown node %T", n))
}

func (g *gen) other(n *nOther) cond {
	t := n.tok
	switch n.kind {
	case "broadcast":
		switch n.pq {
		case "", "link":
			if g.lt != EN10MB {
				g.fail(t, "not a broadcast link")
			}
			return g.withLinkHeader(and(cmp(g.linkHdr(2), 4, 0xffffffff), cmp(g.linkHdr(0), 2, 0xffff)))
		case "ip":
			return and(g.linktype(t, 0x0800), or(cmp(g.linkPL(16), 4, 0), cmp(g.linkPL(16), 4, 0xffffffff)))
		}
		g.fail(t, "only link-layer/IP broadcast filters supported")
	case "multicast":
		switch n.pq {
		case "", "link":
			if g.lt != EN10MB {
				g.fail(t, "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel")
			}
			return g.withLinkHeader(newTest(load(1, g.linkHdr(0)), jJSET, 1))
		case "ip":
			return and(g.linktype(t, 0x0800), cmpOp(g.linkPL(16), 1, jJGE, 224))
		case "ip6":
			return and(g.linktype(t, 0x86dd), cmp(g.linkPL(24), 1, 255))
		}
		g.fail(t, "only link-layer/IP multicast filters supported")
	case "less":
		return not(newTest([]bpf.RawInstruction{ins(opLD|szW|mLEN, 0)}, jJGT, n.num))
	case "greater":
		return newTest([]bpf.RawInstruction{ins(opLD|szW|mLEN, 0)}, jJGE, n.num)
	case "byte":
		switch n.op {
		case "=":
			return cmp(g.linkHdr(int(n.num)), 1, n.num2)
		case "<":
			return not(cmpOp(g.linkHdr(int(n.num)), 1, jJGE, n.num2))
		case ">":
			return cmpOp(g.linkHdr(int(n.num)), 1, jJGT, n.num2)
		case "|":
			// libpcap 1.10 emits the operation without loading the byte, so
			// it works on A as the program finds it: 0 at the start, else
			// the last value loaded on the way. Without a load here the
			// optimizer cannot fold it either, and `byte 0 & 0xf0`
			// compiles, to libpcap's program, instead of being refused as
			// rejecting all packets. A | m with m != 0 is never 0.
			if n.num2 != 0 {
				return gtrue()
			}
			return not(newTest(nil, jJEQ, 0))
		default:
			if n.num2 == 0 {
				return gfalse()
			}
			return newTest(nil, jJSET, n.num2)
		}
	case "inbound", "outbound":
		if g.savefile && g.lt != LINUX_SLL && g.lt != LINUX_SLL2 {
			g.fail(t, "inbound/outbound not supported on %s when reading savefiles", g.lt.description())
		}
		var c cond
		switch g.lt {
		case LINUX_SLL:
			c = cmp(g.linkHdr(0), 2, packetOutgoing)
		case LINUX_SLL2:
			c = cmp(g.linkHdr(10), 1, packetOutgoing)
		default:
			c = cmp(g.linkHdr(skfAdOff+skfAdPktType), 2, packetOutgoing)
		}
		if n.kind == "inbound" {
			return not(c)
		}
		return c
	case "ifindex":
		if g.savefile && g.lt != LINUX_SLL2 {
			g.fail(t, "ifindex not supported on %s when reading savefiles", g.lt.description())
		}
		switch g.lt {
		case LINUX_SLL2:
			return cmp(g.linkHdr(4), 4, n.num)
		}
		return cmp(g.linkHdr(skfAdOff+skfAdIfIndex), 4, n.num)
	case "vlan":
		if g.labelDepth > 0 {
			g.fail(t, "no VLAN match after MPLS")
		}
		if g.lt != EN10MB {
			g.fail(t, "no VLAN support for %s", g.lt.description())
		}
		b := or(g.linktype(t, 0x8100), or(g.linktype(t, 0x88a8), g.linktype(t, 0x9100)))
		if n.has {
			if n.num > 0xfff {
				g.fail(n.nTok, "VLAN tag %d greater than maximum %d", n.num, 0xfff)
			}
			b = and(b, mcmp(g.linkPL(0), 2, n.num, 0xfff))
		}
		g.offLinkPL = g.offLinkPL.add(4)
		g.offLinkType = g.offLinkType.add(4)
		g.vlanDepth++
		return b
	case "mpls":
		var b cond
		if g.labelDepth > 0 {
			b = mcmp(g.linkPL(-2), 1, 0, 1)
		} else {
			switch g.lt {
			case EN10MB:
				b = g.linktype(t, 0x8847)
			case linkPPP:
				b = g.linktype(t, 0x0281)
			default:
				g.fail(t, "no MPLS support for %s", g.lt.description())
			}
		}
		if n.has {
			if n.num > 0xfffff {
				g.fail(n.nTok, "MPLS label %d greater than maximum %d", n.num, 0xfffff)
			}
			b = and(b, mcmp(g.linkPL(0), 4, n.num<<12, 0xfffff000))
		}
		g.offNLNoSnap += 4
		g.offNL += 4
		g.labelDepth++
		return b
	case "pppoed":
		return g.linktype(t, 0x8863)
	case "pppoes":
		b := g.linktype(t, 0x8864)
		if n.has {
			if n.num > 0xffff {
				g.fail(n.nTok, "PPPoE session number %d greater than maximum %d", n.num, 0xffff)
			}
			b = and(b, mcmp(g.linkPL(0), 4, n.num, 0xffff))
		}
		hdr := g.linkPL(6)
		g.lt = linkPPP
		g.offLinkHdr = hdr
		g.offLinkType = hdr
		g.offLinkPL = hdr.add(2)
		g.offNL, g.offNLNoSnap = 0, 0
		g.encap = false
		return b
	case "geneve", "vxlan":
		return g.encapsulation(n)
	case "llc":
		return g.llc(t, n.pq, n.nTok)
	}
	g.fail(t, "syntax error")
	return cond{}
}

// ---- arithmetic ----

var aluOf = map[string]uint16{"+": aluADD, "-": aluSUB, "*": aluMUL, "/": aluDIV, "%": aluMOD, "&": aluAND, "|": aluOR, "^": aluXOR, "<<": aluLSH, ">>": aluRSH}

var transportProtos = map[string]bool{"sctp": true, "tcp": true, "udp": true, "icmp": true, "igmp": true, "igrp": true, "pim": true, "vrrp": true, "carp": true}

var netProtos = map[string]bool{"ip": true, "arp": true, "rarp": true, "atalk": true, "decnet": true, "sca": true, "lat": true, "moprc": true, "mopdl": true, "ip6": true}

// constOf folds a constant expression; division by zero and oversized shifts
// are errors, as libpcap's optimizer makes them.
func (g *gen) constOf(a arith) (uint32, bool) {
	switch a := a.(type) {
	case *aNum:
		return a.v, true
	case *aNeg:
		if v, ok := g.constOf(a.x); ok {
			return -v, true
		}
	case *aBin:
		l, ok1 := g.constOf(a.l)
		r, ok2 := g.constOf(a.r)
		// libpcap's optimizer turns `and #0` and `mul #0` into the
		// constant 0 and drops the load before them.
		switch {
		case ok1 && ok2:
		case ok2 && r == 0 && (a.op == "&" || a.op == "*"):
			return 0, true
		default:
			return 0, false
		}
		return g.fold(a, l, r), true
	}
	return 0, false
}

func (g *gen) fold(a *aBin, l, r uint32) uint32 {
	switch a.op {
	case "+":
		return l + r
	case "-":
		return l - r
	case "*":
		return l * r
	case "/":
		if r == 0 {
			g.fail(a.tok, "division by zero")
		}
		return l / r
	case "%":
		if r == 0 {
			g.fail(a.tok, "modulus by zero")
		}
		return l % r
	case "&":
		return l & r
	case "|":
		return l | r
	case "^":
		return l ^ r
	case "<<":
		if r > 31 {
			g.fail(a.tok, "shift by more than 31 bits")
		}
		return l << r
	case ">>":
		if r > 31 {
			g.fail(a.tok, "shift by more than 31 bits")
		}
		return l >> r
	}
	return 0
}

// checks returns the protocol tests an arithmetic expression depends on, in
// libpcap's order, or nil.
func (g *gen) checks(a arith) *cond {
	andp := func(x, y *cond) *cond {
		switch {
		case x == nil:
			return y
		case y == nil:
			return x
		}
		c := and(*x, *y)
		return &c
	}
	switch a := a.(type) {
	case *aNeg:
		return g.checks(a.x)
	case *aBin:
		// Literal divisors and shift counts are checked before folding, as
		// libpcap does even with the optimizer off.
		if r, ok := a.r.(*aNum); ok {
			g.fold(a, 0, r.v)
		}
		// libpcap 1.10's gen_arth keeps the left operand's checks only:
		// `1 + tcp[0]` and `len + tcp[0]` test no protocol. The right
		// operand's are still built, for the errors they raise.
		l := g.checks(a.l)
		g.checks(a.r)
		return l
	case *aLoad:
		idx := g.checks(a.idx)
		switch {
		case a.proto == "link":
			return idx
		case netProtos[a.proto]:
			c := g.abbrev(a.tok, a.proto)
			return andp(idx, &c)
		case transportProtos[a.proto]:
			ip := g.linktype(a.tok, 0x0800)
			p := g.abbrev(a.tok, a.proto)
			rest := and(p, g.ipfrag())
			r := andp(idx, &rest)
			return andp(&ip, r)
		case a.proto == "icmp6":
			ip6 := g.linktype(a.tok, 0x86dd)
			nh := cmp(g.linkPL(6), 1, 58)
			return andp(andp(idx, &ip6), &nh)
		}
		g.fail(a.tok, "unsupported index operation")
	}
	return nil
}

type emitter struct {
	g *gen
}

// value emits code leaving a's value in A, using scratch words from reg up.
func (e *emitter) value(a arith, reg int) []bpf.RawInstruction {
	g := e.g
	if v, ok := g.constOf(a); ok {
		return []bpf.RawInstruction{ins(opLD|mIMM, v)}
	}
	switch a := a.(type) {
	case *aLen:
		return []bpf.RawInstruction{ins(opLD|szW|mLEN, 0)}
	case *aNeg:
		return append(e.value(a.x, reg), ins(opALU|aluNEG, 0))
	case *aBin:
		op := aluOf[a.op]
		if r, ok := g.constOf(a.r); ok {
			if (a.op == "<<" || a.op == ">>") && r > 31 {
				g.fail(a.tok, "shift by more than 31 bits")
			}
			if (a.op == "/" || a.op == "%") && r == 0 {
				g.fail(a.tok, "%s", map[bool]string{true: "division by zero", false: "modulus by zero"}[a.op == "/"])
			}
			return append(e.value(a.l, reg), ins(opALU|op|srcK, r))
		}
		if reg >= memWords {
			g.fail(a.tok, "too many registers needed to evaluate expression")
		}
		s := e.value(a.r, reg)
		s = append(s, ins(opST, uint32(reg)))
		s = append(s, e.value(a.l, reg+1)...)
		return append(s, ins(opLDX|mMEM, uint32(reg)), ins(opALU|op|srcX, 0))
	case *aLoad:
		sz := sizeCode(a.size)
		var base loc
		switch {
		case a.proto == "link":
			base = g.linkHdr(0)
		case netProtos[a.proto]:
			base = g.linkPL(0)
		case a.proto == "icmp6":
			base = g.linkPL(40)
		case transportProtos[a.proto]:
			base = g.linkPL(0)
			if c, ok := g.constOf(a.idx); ok && c <= 0xffff {
				return append(g.loadXIPHdr(), ins(opLD|sz|mIND, uint32(base.k)+c))
			}
			if reg >= memWords {
				g.fail(a.tok, "too many registers needed to evaluate expression")
			}
			s := e.value(a.idx, reg)
			s = append(s, ins(opST, uint32(reg)))
			s = append(s, g.loadXIPHdr()...)
			return append(s, ins(opLD|mMEM, uint32(reg)), ins(opALU|aluADD|srcX, 0), ins(opMISC|miscTAX, 0), ins(opLD|sz|mIND, uint32(base.k)))
		}
		if c, ok := g.constOf(a.idx); ok && c <= 0xffff {
			return load(a.size, base.add(int(c)))
		}
		s := e.value(a.idx, reg)
		if base.variable() {
			s = append(s, base.ldx(), ins(opALU|aluADD|srcX, 0))
		}
		return append(s, ins(opMISC|miscTAX, 0), ins(opLD|sz|mIND, uint32(base.k)))
	}
	panic(fmt.Sprintf("filter: unknown arithmetic %T", a))
}

func (g *gen) relation(n *nRel) cond {
	e := &emitter{g: g}
	lc := g.checks(n.l)
	rc := g.checks(n.r)
	l, r := n.l, n.r
	op, rev := n.op, n.rev
	jop := map[string]uint16{"=": jJEQ, ">": jJGT, ">=": jJGE}
	var test cond
	if _, ok := g.constOf(l); ok {
		if _, ok := g.constOf(r); !ok {
			// k OP y: rewrite as y OP' k.
			l, r = r, l
			switch op {
			case ">":
				op, rev = ">=", !rev
			case ">=":
				op, rev = ">", !rev
			}
		}
	}
	if k, ok := g.constOf(r); ok {
		if b, isBin := l.(*aBin); isBin && b.op == "&" && op == "=" && k == 0 {
			// With a zero mask the value is the constant 0, which the
			// optimizer folds (dropping the load) as libpcap's does.
			if m, ok := g.constOf(b.r); ok && m != 0 {
				test = not(newTest(e.value(b.l, g.nextReg), jJSET, m))
			}
		}
		if test.entry == nil {
			test = newTest(e.value(l, g.nextReg), jop[op], k)
		}
	} else {
		reg := g.nextReg
		if reg >= memWords {
			g.fail(n.tok, "too many registers needed to evaluate expression")
		}
		s := e.value(r, reg)
		s = append(s, ins(opST, uint32(reg)))
		s = append(s, e.value(l, reg+1)...)
		s = append(s, ins(opLDX|mMEM, uint32(reg)))
		test = newTest(s, jop[op]|srcX, 0)
	}
	if rev {
		test = not(test)
	}
	var ch *cond
	switch {
	case lc != nil && rc != nil:
		c := and(*lc, *rc)
		ch = &c
	case lc != nil:
		ch = lc
	default:
		ch = rc
	}
	if ch != nil {
		return and(*ch, test)
	}
	return test
}

// UsesVLAN reports whether expr has a vlan primitive. On a live socket the
// kernel moves VLAN tags into packet metadata before the filter runs, so
// such a program must run in user space, on the packet with its tag put back
// (libpcap instead rewrites it to SKF_AD_VLAN_* loads).
func UsesVLAN(expr string) bool {
	n, err := parse(expr)
	if err != nil {
		return false
	}
	var walk func(node) bool
	walk = func(n node) bool {
		switch v := n.(type) {
		case nAnd:
			return walk(v.l) || walk(v.r)
		case nOr:
			return walk(v.l) || walk(v.r)
		case nNot:
			return walk(v.x)
		case *nAnd:
			return walk(v.l) || walk(v.r)
		case *nOr:
			return walk(v.l) || walk(v.r)
		case *nNot:
			return walk(v.x)
		case nOther:
			return v.kind == "vlan"
		case *nOther:
			return v.kind == "vlan"
		}
		return false
	}
	return walk(n)
}
