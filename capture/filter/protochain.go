package filter

import "golang.org/x/net/bpf"

// protochain compiles `[ip|ip6] protochain P` as libpcap 1.10 does: a loop
// that starts at the IP header's protocol and steps over IPv6 extension
// headers (0, 60, 43, 44: X += (len+1)*8) and AH (51) until it finds P; any
// other protocol ends the walk. Like libpcap 1.10, the AH step sets the
// offset to (len+2)*4 instead of adding it, and the optimizer is not run on
// such programs. The loop jumps backward, which the kernel refuses: capture
// gives the kernel ForKernel's unrolled program and runs this one in user
// space on what that lets through, as libpcap filters in user space.
func (g *gen) protochain(t token, p uint32, pq string) cond {
	if g.offLinkPL.variable() {
		g.fail(t, "'protochain' not supported with variable length headers")
	}
	switch pq {
	case "":
		v4 := g.protochain(t, p, "ip")
		return or(v4, g.protochain(t, p, "ip6"))
	case "ip", "ip6":
	default:
		g.fail(t, "bad protocol applied for 'protochain'")
	}
	if g.nextReg >= memWords {
		g.fail(t, "too many registers needed to evaluate expression")
	}
	g.noOptimize = true
	pl := uint32(g.linkPL(0).k)
	reg := uint32(g.nextReg)
	v6 := pq == "ip6"
	et := uint32(0x0800)
	start := &block{fall: true, stmts: []bpf.RawInstruction{ins(opLD|szB|mABS, pl+9), ins(opLDX|szB|mMSH, pl)}}
	if v6 {
		et = 0x86dd
		start.stmts = []bpf.RawInstruction{ins(opLD|szB|mABS, pl+6), ins(opLDX|mIMM, 40)}
	}
	test := func(k uint32) *block { return &block{op: opJMP | jJEQ, k: k} }
	// A holds the protocol of the header at X. Each step loads the next
	// protocol (at X) and the header's length (at X+1), leaves them in A
	// and X, and jumps back to head.
	head := test(p)
	start.jt, start.jf = head, head
	step := func(ah bool) *block {
		s := []bpf.RawInstruction{ins(opLD|szB|mIND, pl), ins(opST, reg), ins(opLD|szB|mIND, pl+1)}
		if ah {
			s = append(s, ins(opALU|aluADD|srcK, 2), ins(opALU|aluMUL|srcK, 4))
		} else {
			s = append(s, ins(opALU|aluADD|srcK, 1), ins(opALU|aluMUL|srcK, 8), ins(opALU|aluADD|srcX, 0))
		}
		s = append(s, ins(opMISC|miscTAX, 0), ins(opLD|mMEM, reg))
		return &block{stmts: s, fall: true, jt: head, jf: head}
	}
	// 59 (no next header) needs no test: it is neither P (tested first)
	// nor a header to step over, so it ends the walk like any other.
	last := head
	if v6 {
		ext := step(false)
		for _, k := range []uint32{0, 60, 43, 44} {
			b := test(k)
			last.jf, b.jt = b, ext
			last = b
		}
	}
	ah := test(51)
	last.jf, ah.jt = ah, step(true)
	return and(g.linktype(t, et), cond{entry: start, t: edge(&head.jt), f: edge(&ah.jf)})
}
