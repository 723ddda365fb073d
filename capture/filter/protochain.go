package filter

import "golang.org/x/net/bpf"

// protochainDepth is how many headers `protochain` steps over before it
// gives up and rejects the packet. libpcap walks the chain with a backward
// jump, which the kernel refuses; this walk is unrolled instead. Six covers
// RFC 8200's full recommended IPv6 order (hop-by-hop, destination options,
// routing, fragment, AH, destination options).
const protochainDepth = 6

// protochain compiles `[ip|ip6] protochain P` with libpcap 1.10's meaning:
// from the IP header's protocol, step over IPv6 extension headers (0, 60,
// 43, 44: X += (len+1)*8) and AH (51) until P is found; 59 (no next
// header) or any other protocol ends the walk. Like libpcap 1.10, the AH
// step sets the offset to (len+2)*4 instead of adding it, and the optimizer
// is not run on such programs.
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
	var start []bpf.RawInstruction
	var et uint32 = 0x0800
	if v6 {
		et = 0x86dd
		start = []bpf.RawInstruction{ins(opLD|szB|mABS, pl+6), ins(opLDX|mIMM, 40)}
	} else {
		start = []bpf.RawInstruction{ins(opLD|szB|mABS, pl+9), ins(opLDX|szB|mMSH, pl)}
	}
	// Both steps load the next header's protocol (at X) and length (at
	// X+1), and leave them in A and X.
	step := func(ah bool) []bpf.RawInstruction {
		s := []bpf.RawInstruction{ins(opLD|szB|mIND, pl+1)}
		if ah {
			s = append(s, ins(opALU|aluADD|srcK, 2), ins(opALU|aluMUL|srcK, 4))
		} else {
			s = append(s, ins(opALU|aluADD|srcK, 1), ins(opALU|aluMUL|srcK, 8), ins(opALU|aluADD|srcX, 0))
		}
		return append(s, ins(opST, reg), ins(opLD|szB|mIND, pl), ins(opLDX|mMEM, reg))
	}
	var found, end, cont []**block // cont: edges on to the next iteration
	var falls []*block
	test := func(k uint32) *block { return &block{op: opJMP | jJEQ, k: k} }
	var entry *block
	for i := 0; i <= protochainDepth; i++ {
		head := test(p)
		if i == 0 {
			entry = head
			head.stmts = start
		}
		patch(cont, head)
		cont = nil
		found = append(found, &head.jt)
		if i == protochainDepth {
			end = append(end, &head.jf)
			break
		}
		stop := test(59)
		head.jf = stop
		end = append(end, &stop.jt)
		last := stop
		if v6 {
			ext := &block{stmts: step(false), fall: true}
			falls = append(falls, ext)
			cont = append(cont, &ext.jt)
			for _, k := range []uint32{0, 60, 43, 44} {
				b := test(k)
				last.jf, b.jt = b, ext
				last = b
			}
		}
		ah := test(51)
		last.jf = ah
		end = append(end, &ah.jf)
		ahStep := &block{stmts: step(true), fall: true}
		falls = append(falls, ahStep)
		ah.jt = ahStep
		cont = append(cont, &ahStep.jt)
	}
	for _, b := range falls {
		b.jf = b.jt
	}
	return and(g.linktype(t, et), cond{entry: entry, t: found, f: end})
}
