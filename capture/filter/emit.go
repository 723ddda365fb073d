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

// emit lays out the graph as instructions. A conditional jump reaches at
// most 255 instructions ahead; a branch that must go further goes to an
// island on the way: a copy of the return it leads to, or a `ja` to its
// block. libpcap gives every such branch a `ja` of its own, right after the
// jump; an island serves every branch in reach of it, so a long chain of
// alternatives that all accept needs one return every 255 instructions
// instead of a ja per test (1,000 `host` terms: 3,016 instructions against
// libpcap's 5,759, which the kernel's 4,096 would refuse). Programs whose
// jumps all reach are laid out as libpcap does.
func emit(root *block) []bpf.RawInstruction {
	blocks := order(root)
	far := map[branch]bool{}
	for {
		prog, more := layout(blocks, far)
		if len(more) == 0 {
			return prog
		}
		for _, br := range more {
			far[br] = true
		}
	}
}

// branch is one edge of a conditional jump: b's true or false branch.
type branch struct {
	b    *block
	true bool
}

func (br branch) target() *block {
	if br.true {
		return br.b.jt
	}
	return br.b.jf
}

// island is an instruction standing in for its target block, placed within
// reach of the branches that use it.
type island struct {
	target   *block
	deadline int  // the last index from which every user still reaches it
	pos      int  // index once placed
	direct   bool // the target itself came in reach first: no island
}

func (is *island) instruction() bpf.RawInstruction {
	if is.target.leaf {
		return is.target.ret
	}
	return ins(opJMP|jJA, 0) // offset filled in when laid out
}

// layout places blocks in order and the islands of the branches in far as
// late as their users allow. It returns the program, or the branches found
// out of reach that need an island (then the layout is redone).
func layout(blocks []*block, far map[branch]bool) ([]bpf.RawInstruction, []branch) {
	// A fall-through block needs a ja unless its successor comes next.
	needJA := map[*block]bool{}
	for i, b := range blocks {
		if b.fall && (i+1 == len(blocks) || blocks[i+1] != b.jt) {
			needJA[b] = true
		}
	}
	size := func(b *block) int {
		n := len(b.stmts)
		if !b.fall || needJA[b] {
			n++
		}
		return n
	}
	// fallsInto is whether the code before block i runs on into it, so
	// that islands put there need a ja over them.
	fallsInto := func(i int) int {
		if i > 0 && blocks[i-1].fall && !needJA[blocks[i-1]] {
			return 1
		}
		return 0
	}

	// Pass 1: positions of blocks and islands.
	pos := map[*block]int{}
	before := map[int][]*island{} // islands placed before block i
	use := map[branch]*island{}
	pending := map[*block]*island{}
	var queue []*island // pending islands by deadline (added in order)
	fits := func(q []*island, at int) bool {
		for j, is := range q {
			if at+j > is.deadline {
				return false
			}
		}
		return true
	}
	n := 0
	for i, b := range blocks {
		// Islands standing for b itself need not come after it: their
		// users reach b, unless islands for others go in between.
		mine := pending[b]
		others := queue
		if mine != nil {
			others = make([]*island, 0, len(queue))
			for _, is := range queue {
				if is != mine {
					others = append(others, is)
				}
			}
		}
		if len(others) > 0 && !fits(others, n+size(b)+fallsIntoNext(blocks, i, needJA)) {
			group := others
			if mine != nil && n+fallsInto(i)+len(others) > mine.deadline {
				group = queue
			}
			n += fallsInto(i)
			for _, is := range group {
				is.pos = n
				n++
				delete(pending, is.target)
			}
			before[i] = group
			others = nil
		}
		if pending[b] != nil {
			mine.direct = true
			delete(pending, b)
		}
		queue = others
		pos[b] = n
		n += size(b)
		if b.leaf || b.fall {
			continue
		}
		jump := n - 1
		for _, br := range []branch{{b, true}, {b, false}} {
			if !far[br] {
				continue
			}
			t := br.target()
			is := pending[t]
			if is == nil {
				is = &island{target: t, deadline: jump + 256}
				pending[t] = is
				queue = append(queue, is)
			}
			use[br] = is
		}
	}
	if len(queue) > 0 {
		// Only reachable through islands placed after every block: their
		// targets all came before their users, which cannot be.
		panic("filter: island after the last block")
	}

	// Pass 2: instructions.
	var more []branch
	prog := make([]bpf.RawInstruction, 0, n)
	for i, b := range blocks {
		if isl := before[i]; len(isl) > 0 {
			if fallsInto(i) == 1 {
				prog = append(prog, ins(opJMP|jJA, uint32(len(isl))))
			}
			for _, is := range isl {
				in := is.instruction()
				if !is.target.leaf {
					in.K = uint32(pos[is.target] - (len(prog) + 1))
				}
				prog = append(prog, in)
			}
		}
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
		var off [2]int
		for j, br := range []branch{{b, true}, {b, false}} {
			dest := pos[br.target()]
			if is := use[br]; is != nil && !is.direct {
				dest = is.pos
			}
			off[j] = dest - (here + 1)
			if off[j] > 255 {
				if far[br] {
					panic("filter: island out of reach")
				}
				more = append(more, br)
			}
		}
		prog = append(prog, bpf.RawInstruction{Op: b.op, Jt: uint8(off[0]), Jf: uint8(off[1]), K: b.k})
	}
	return prog, more
}

// fallsIntoNext is 1 when islands put after block i need a ja over them:
// i runs on into the block after it.
func fallsIntoNext(blocks []*block, i int, needJA map[*block]bool) int {
	if blocks[i].fall && !needJA[blocks[i]] {
		return 1
	}
	return 0
}
