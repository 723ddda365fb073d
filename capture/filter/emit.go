package filter

import "golang.org/x/net/bpf"

// order lists the blocks reachable from root so that every jump goes forward,
// laid out as libpcap's convert_code_r does: a block, then what its true
// branch reaches, then what its false branch reaches (a reverse post-order
// visiting the false branch first).
func order(root *block) []*block { return reversePostOrder(root, true) }

// reversePostOrder lists the blocks reachable from root with every block
// before its successors; falseFirst visits false branches first.
func reversePostOrder(root *block, falseFirst bool) []*block {
	seen := map[*block]bool{}
	var post []*block
	var visit func(b *block)
	visit = func(b *block) {
		if seen[b] {
			return
		}
		seen[b] = true
		if !b.leaf {
			first, second := b.jt, b.jf
			if falseFirst {
				first, second = b.jf, b.jt
			}
			visit(first)
			visit(second)
		}
		post = append(post, b)
	}
	visit(root)
	for i, j := 0, len(post)-1; i < j; i, j = i+1, j-1 {
		post[i], post[j] = post[j], post[i]
	}
	return post
}

// emit lays out the graph as instructions, adding `ja` trampolines where a
// conditional jump would exceed 255 instructions.
func emit(root *block) []bpf.RawInstruction {
	blocks := order(root)
	// A fall-through block needs a ja unless its successor comes next.
	needJA := map[*block]bool{}
	for i, b := range blocks {
		if b.fall && (i+1 == len(blocks) || blocks[i+1] != b.jt) {
			needJA[b] = true
		}
	}
	type far struct{ t, f bool }
	need := map[*block]far{}
	for {
		pos := map[*block]int{}
		n := 0
		for _, b := range blocks {
			pos[b] = n
			n += len(b.stmts)
			switch {
			case b.fall:
				if needJA[b] {
					n++
				}
				continue
			}
			n++
			if fr := need[b]; fr.t || fr.f {
				if fr.t {
					n++
				}
				if fr.f {
					n++
				}
			}
		}
		changed := false
		var prog []bpf.RawInstruction
		for _, b := range blocks {
			prog = append(prog, b.stmts...)
			if b.leaf {
				prog = append(prog, b.ret)
				continue
			}
			here := len(prog)
			if b.fall {
				if needJA[b] {
					prog = append(prog, ins(opJMP|jJA, uint32(pos[b.jt]-(here+1))))
				}
				continue
			}
			fr := need[b]
			var jt, jf int
			var tramp []bpf.RawInstruction
			if fr.t {
				tramp = append(tramp, ins(opJMP|jJA, uint32(pos[b.jt]-(here+1+len(tramp)+1))))
				jt = len(tramp) - 1
			} else {
				jt = pos[b.jt] - (here + 1)
			}
			if fr.f {
				tramp = append(tramp, ins(opJMP|jJA, uint32(pos[b.jf]-(here+1+len(tramp)+1))))
				jf = len(tramp) - 1
			} else {
				jf = pos[b.jf] - (here + 1)
			}
			if jt > 255 && !fr.t {
				fr.t, changed = true, true
			}
			if jf > 255 && !fr.f {
				fr.f, changed = true, true
			}
			need[b] = fr
			prog = append(prog, bpf.RawInstruction{Op: b.op, Jt: uint8(jt), Jf: uint8(jf), K: b.k})
			prog = append(prog, tramp...)
		}
		if !changed {
			return prog
		}
	}
}
