package filter

import "golang.org/x/net/bpf"

// unrollDepth is how many backward jumps ForKernel's programs follow. Eight
// steps cover RFC 8200's full recommended IPv6 header order with room left.
const unrollDepth = 8

// ForKernel returns a program the kernel accepts in place of prog, and
// whether it means exactly what prog means. A program without backward
// jumps is returned as it is. A loop (libpcap's protochain) is unrolled
// unrollDepth times, fewer if the program would grow past 4096
// instructions; a packet that needs more steps is accepted, so that prog,
// run in user space on what the kernel passes, decides. nil means no
// unrolled program fits, or prog is not valid: filter every packet in user
// space.
func ForKernel(prog []bpf.RawInstruction) (kernel []bpf.RawInstruction, exact bool) {
	if Validate(prog) != nil {
		return nil, false
	}
	if !Loops(prog) {
		return prog, true
	}
	for d := unrollDepth; d >= 0; d-- {
		if k := unroll(prog, d); len(k) <= maxInsns {
			return k, false
		}
	}
	return nil, false
}

// unroll lays out depth+1 copies of prog in which a backward jump goes to
// its target in the next copy, and from the last copy to a return that
// accepts. Only reachable instructions are kept; every jump then goes
// forward and no conditional jump grows longer than it was.
func unroll(prog []bpf.RawInstruction, depth int) []bpf.RawInstruction {
	n := len(prog)
	overflow := (depth + 1) * n // node index of the accepting return
	next := func(node int) []int {
		c, i := node/n, node%n
		in := prog[i]
		switch {
		case in.Op&0x07 == opRET:
			return nil
		case in.Op == opJMP|jJA:
			t := jaTarget(i, in.K)
			if t > i {
				return []int{c*n + t}
			}
			if c == depth {
				return []int{overflow}
			}
			return []int{(c+1)*n + t}
		case in.Op&0x07 == opJMP:
			return []int{c*n + i + 1 + int(in.Jt), c*n + i + 1 + int(in.Jf)}
		}
		return []int{node + 1}
	}
	// Every edge goes to a higher node index, so one ascending pass finds
	// what is reachable.
	reached := make([]bool, overflow+1)
	reached[0] = true
	for node := 0; node < overflow; node++ {
		if reached[node] {
			for _, s := range next(node) {
				reached[s] = true
			}
		}
	}
	pos := make([]int, overflow+1)
	count := 0
	for node, r := range reached {
		if r {
			pos[node] = count
			count++
		}
	}
	accept := uint32(0)
	for _, in := range prog {
		switch in.Op {
		case opRET | retK:
			accept = max(accept, in.K)
		case opRET | retA:
			accept = 0xffffffff
		}
	}
	out := make([]bpf.RawInstruction, 0, count)
	for node := 0; node < overflow; node++ {
		if !reached[node] {
			continue
		}
		in := prog[node%n]
		here := pos[node]
		s := next(node)
		switch {
		case in.Op == opJMP|jJA:
			in.K = uint32(pos[s[0]] - here - 1)
		case in.Op&0x07 == opJMP:
			in.Jt, in.Jf = uint8(pos[s[0]]-here-1), uint8(pos[s[1]]-here-1)
		}
		out = append(out, in)
	}
	if reached[overflow] {
		out = append(out, ins(opRET|retK, accept))
	}
	return out
}
