package filter

import "golang.org/x/net/bpf"

// encapsulation compiles `geneve [vni]` as libpcap 1.10 does and `vxlan
// [vni]` as libpcap 1.11 does: UDP to the tunnel's port (6081, 4789) over
// IPv4 or IPv6, a header check and the VNI, then code that stores the
// offsets of the inner link header, link type and payload in scratch
// words, which every later test of the expression loads through.
func (g *gen) encapsulation(n *nOther) cond {
	geneve := n.kind == "geneve"
	port, name := uint32(4789), "VXLAN"
	if geneve {
		port, name = 6081, "Geneve"
	}
	if n.has && n.num > 0xffffff {
		g.fail(n.nTok, "%s VNI %d greater than maximum %d", name, n.num, 0xffffff)
	}
	// check tests the tunnel header at the UDP header's offset hdr.
	check := func(load func(off int, size uint32) []bpf.RawInstruction) cond {
		var b cond
		if geneve {
			b = newTest(append(load(8, 1), ins(opALU|aluAND|srcK, 0xc0)), jJEQ, 0) // version 0
		} else {
			b = newTest(load(8, 1), jJEQ, 0x08) // flags: only I, the VNI is valid
		}
		if n.has {
			b = and(b, newTest(append(load(12, 4), ins(opALU|aluAND|srcK, 0xffffff00)), jJEQ, n.num<<8))
		}
		return b
	}
	t := n.tok
	// IPv4: the UDP header is at [x + linkPL(0).k] with X from loadXIPHdr;
	// the true branch leaves that X (IP header length plus any variable
	// part) in A.
	v4 := and(g.linktype(t, 0x0800), g.portop(port, 17, "dst", false, port, port, false))
	v4 = and(v4, check(func(off int, size uint32) []bpf.RawInstruction {
		return append(g.loadXIPHdr(), ins(opLD|sizeCode(size)|mIND, uint32(g.linkPL(off).k)))
	}))
	v4 = and(v4, newTest(append(g.loadXIPHdr(), ins(opMISC|miscTXA, 0)), jJEQ|srcX, 0))
	v6 := and(g.linktype(t, 0x86dd), g.portop(port, 17, "dst", true, port, port, false))
	v6 = and(v6, check(func(off int, size uint32) []bpf.RawInstruction {
		return load(size, g.linkPL(40+off))
	}))
	var s []bpf.RawInstruction
	if pl := g.linkPL(0); pl.variable() {
		s = []bpf.RawInstruction{pl.ldx(), ins(opLD|mIMM, 40), ins(opALU|aluADD|srcX, 0)}
	} else {
		s = []bpf.RawInstruction{ins(opLD|mIMM, 40)}
	}
	v6 = and(v6, newTest(append(s, ins(opMISC|miscTAX, 0)), jJEQ|srcX, 0))
	b := or(v4, v6)

	// A holds the offset of the IP payload minus linkPL(0).k.
	udp := uint32(g.linkPL(0).k + 8)
	alloc := func() int {
		if g.nextReg >= memWords {
			g.fail(t, "too many registers needed to evaluate expression")
		}
		g.nextReg++
		return g.nextReg - 1
	}
	var offsets cond
	if geneve {
		rType := alloc()
		rHdr := alloc()
		rPL := alloc()
		// Without an inner Ethernet header (protocol not 0x6558) the
		// payload starts right after the Geneve header and options, and
		// the Geneve protocol field serves as the link type.
		first := &block{stmts: []bpf.RawInstruction{
			ins(opALU|aluADD|srcK, udp), ins(opMISC|miscTAX, 0), ins(opALU|aluADD|srcK, 2), ins(opST, uint32(rType)),
			ins(opLD|szB|mIND, 0), ins(opALU|aluAND|srcK, 0x3f), ins(opALU|aluMUL|srcK, 4), ins(opALU|aluADD|srcK, 8),
			ins(opALU|aluADD|srcX, 0), ins(opST, uint32(rHdr)), ins(opLD|szH|mIND, 2), ins(opLDX|mMEM, uint32(rHdr)),
		}, op: opJMP | jJEQ, k: 0x6558}
		last := &block{stmts: []bpf.RawInstruction{ins(opSTX, uint32(rPL)), ins(opLD|mIMM, 0)}, op: opJMP | jJEQ, k: 0}
		ether := &block{stmts: []bpf.RawInstruction{
			ins(opMISC|miscTXA, 0), ins(opALU|aluADD|srcK, 12), ins(opST, uint32(rType)), ins(opALU|aluADD|srcK, 2), ins(opMISC|miscTAX, 0),
		}, fall: true, jt: last, jf: last}
		first.jt, first.jf = ether, last
		offsets = cond{entry: first, t: edge(&last.jt), f: edge(&last.jf)}
		g.offLinkHdr, g.offLinkType, g.offLinkPL = loc{reg: rHdr}, loc{reg: rType}, loc{reg: rPL}
	} else {
		// VXLAN always carries Ethernet.
		rHdr := alloc()
		rType := alloc()
		rPL := alloc()
		offsets = newTest([]bpf.RawInstruction{
			ins(opALU|aluADD|srcK, udp), ins(opALU|aluADD|srcK, 8), ins(opST, uint32(rHdr)),
			ins(opALU|aluADD|srcK, 12), ins(opST, uint32(rType)), ins(opALU|aluADD|srcK, 2), ins(opMISC|miscTAX, 0),
			ins(opSTX, uint32(rPL)), ins(opLD|mIMM, 0),
		}, jJEQ, 0)
		g.offLinkHdr, g.offLinkType, g.offLinkPL = loc{reg: rHdr}, loc{reg: rType}, loc{reg: rPL}
	}
	g.lt = EN10MB
	g.hasLinkType = true
	g.offNL = 0
	g.encap = true
	// libpcap does not optimize geneve (its offset code jumps inside a
	// block) nor, since commit b113f94 (issues #1670, #1726: the optimizer
	// dropped the store of an inner offset), vxlan; this package's
	// optimizer does not follow offsets kept in scratch words either.
	g.noOptimize = true
	return and(b, offsets)
}
