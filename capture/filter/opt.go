package filter

import (
	"fmt"
	"strings"

	"golang.org/x/net/bpf"
)

// The optimizer works in two phases. Every block the code generator makes
// computes its test from the packet alone (it never relies on registers set
// by an earlier block; programs with geneve, vxlan or protochain do, and
// like libpcap Compile does not optimize them), so the first phase may
// freely re-route edges. It threads jumps whose outcome the facts true on
// every path decide: the same test made before, an equality deciding another
// equality of the same value, or a value known to be one of a few. It drops
// tests whose branches meet, and merges identical blocks. Dropping a test
// drops its load, so on a packet too short for that load the program no
// longer rejects: libpcap's optimizer does the same, and the inference is
// kept no stronger than libpcap's where that would drop loads libpcap keeps.
// The second phase, on the final graph, deletes loads of values a register
// already holds on every path, and dead register moves.

type fact struct {
	val string // the computation of A
	op  uint16
	k   uint32
}

// predicate describes a block's test: what A is computed from, and how it is
// compared. Tests against X are never used for inference.
func (b *block) predicate() (fact, bool) {
	if b.op&srcX != 0 {
		return fact{}, false
	}
	var sb strings.Builder
	for _, s := range b.stmts {
		fmt.Fprintf(&sb, "%x:%x;", s.Op, s.K)
	}
	return fact{val: sb.String(), op: b.op & 0xf0, k: b.k}, true
}

// constValue returns A when a block's statements compute a constant.
func (b *block) constValue() (uint32, bool) {
	var a uint32
	known := false
	for _, s := range b.stmts {
		switch {
		case s.Op == opLD|mIMM:
			a, known = s.K, true
		case s.Op == opALU|aluAND|srcK && s.K == 0, s.Op == opALU|aluMUL|srcK && s.K == 0:
			// Whatever was loaded, A is now 0 (libpcap folds these too,
			// dropping the load).
			a, known = 0, true
		case s.Op&0x07 == opLDX, s.Op == opMISC|miscTAX, s.Op == opSTX:
		case s.Op&0x07 == opALU && s.Op&srcX == 0 && known:
			switch s.Op & 0xf0 {
			case aluADD:
				a += s.K
			case aluSUB:
				a -= s.K
			case aluMUL:
				a *= s.K
			case aluOR:
				a |= s.K
			case aluAND:
				a &= s.K
			case aluXOR:
				a ^= s.K
			case aluLSH:
				a <<= s.K & 31
			case aluRSH:
				a >>= s.K & 31
			case aluNEG:
				a = -a
			default:
				known = false
			}
		case s.Op == opST:
		default:
			known = false
		}
	}
	return a, known
}

func evalTest(op uint16, a, k uint32) bool {
	switch op {
	case jJEQ:
		return a == k
	case jJGT:
		return a > k
	case jJGE:
		return a >= k
	case jJSET:
		return a&k != 0
	}
	return false
}

type factSet map[fact]bool

// Value sets: fact{val, opOneOf, k} says k is one of the values val can
// have, and fact{val, opOneOfKnown, 0} that this list is complete (from
// paths that met, each knowing val by an equality).
const (
	opOneOf      = 0x100
	opOneOfKnown = 0x200
	maxOneOf     = 16
)

// possible returns the values val can have, when the facts limit them.
func possible(fs factSet, val string) (map[uint32]bool, bool) {
	for f, v := range fs {
		if v && f.op == jJEQ && f.val == val {
			return map[uint32]bool{f.k: true}, true
		}
	}
	if !fs[fact{val: val, op: opOneOfKnown}] {
		return nil, false
	}
	set := map[uint32]bool{}
	for f, v := range fs {
		if !v || f.op != opOneOf || f.val != val {
			continue
		}
		if eq, ok := fs[fact{val: val, op: jJEQ, k: f.k}]; ok && !eq {
			continue // ruled out by a failed equality since
		}
		set[f.k] = true
	}
	return set, true
}

// decide tells whether b's test outcome is known from facts.
func decide(b *block, fs factSet) (bool, bool) {
	if b.leaf {
		return false, false
	}
	if b.op&srcX == 0 {
		if a, ok := b.constValue(); ok {
			return evalTest(b.op&0xf0, a, b.k), true
		}
	}
	p, ok := b.predicate()
	if !ok {
		return false, false
	}
	if v, ok := fs[p]; ok {
		return v, true
	}
	// A known equality decides another equality test of the same value.
	// Like libpcap, do not go further (A == 0x800 also decides A > 1500):
	// dropping a test drops its load, and where a load past the end of a
	// short packet rejects it, netdiag must reject it too.
	if p.op == jJEQ {
		if set, ok := possible(fs, p.val); ok {
			switch {
			case !set[p.k]:
				return false, true
			case len(set) == 1:
				return true, true
			}
		}
	}
	return false, false
}

func topo(root *block) []*block { return reversePostOrder(root, false) }

// thread re-routes every edge past tests whose outcome the path implies.
func thread(root *block) bool {
	changed := false
	in := map[*block][]factSet{}
	for _, b := range topo(root) {
		if b.leaf {
			continue
		}
		var fs factSet
		if b != root {
			ins := in[b]
			if len(ins) == 0 {
				continue
			}
			fs = factSet{}
			for f, v := range ins[0] {
				all := true
				for _, o := range ins[1:] {
					if w, ok := o[f]; !ok || w != v {
						all = false
						break
					}
				}
				if all {
					fs[f] = v
				}
			}
			// Where every path knows a value among a few, it is one of
			// their union.
			vals := map[string]bool{}
			for f := range ins[0] {
				if f.op == jJEQ || f.op == opOneOfKnown {
					vals[f.val] = true
				}
			}
			for val := range vals {
				union := map[uint32]bool{}
				for _, o := range ins {
					set, ok := possible(o, val)
					if !ok {
						union = nil
						break
					}
					for k := range set {
						union[k] = true
					}
				}
				if union == nil || len(union) > maxOneOf {
					continue
				}
				fs[fact{val: val, op: opOneOfKnown}] = true
				for k := range union {
					fs[fact{val: val, op: opOneOf, k: k}] = true
				}
			}
		} else {
			fs = factSet{}
		}
		p, hasP := b.predicate()
		for _, outcome := range []bool{true, false} {
			edge := &b.jf
			if outcome {
				edge = &b.jt
			}
			efs := factSet{}
			for f, v := range fs {
				efs[f] = v
			}
			if hasP {
				efs[p] = outcome
			}
			for steps := 0; steps < 10000; steps++ {
				s := *edge
				if s.leaf {
					break
				}
				if s.jt == s.jf {
					*edge = s.jt
					changed = true
					continue
				}
				v, ok := decide(s, efs)
				if !ok {
					break
				}
				if v {
					*edge = s.jt
				} else {
					*edge = s.jf
				}
				changed = true
			}
			in[*edge] = append(in[*edge], efs)
		}
	}
	return changed
}

// intern merges blocks with the same statements, test and successors.
func intern(root *block) (*block, bool) {
	changed := false
	order := topo(root)
	canon := map[string]*block{}
	rep := map[*block]*block{}
	for i := len(order) - 1; i >= 0; i-- {
		b := order[i]
		if !b.leaf {
			if r, ok := rep[b.jt]; ok {
				b.jt = r
			}
			if r, ok := rep[b.jf]; ok {
				b.jf = r
			}
		}
		var sb strings.Builder
		for _, s := range b.stmts {
			fmt.Fprintf(&sb, "%x:%x;", s.Op, s.K)
		}
		if b.leaf {
			fmt.Fprintf(&sb, "ret %x:%x", b.ret.Op, b.ret.K)
		} else {
			fmt.Fprintf(&sb, "j %x:%x %p %p", b.op, b.k, b.jt, b.jf)
		}
		key := sb.String()
		if c, ok := canon[key]; ok && c != b {
			rep[b] = c
			changed = true
		} else {
			canon[key] = b
		}
	}
	if r, ok := rep[root]; ok {
		root = r
	}
	return root, changed
}

func optimize(root *block) *block {
	for i := 0; i < 20; i++ {
		c1 := thread(root)
		for !root.leaf && root.jt == root.jf {
			// Like libpcap's opt_root, keep the skipped root's
			// statements, where a load still rejects a packet too short
			// for it, unless all that is left is a return.
			next := root.jt
			if !next.leaf {
				next.stmts = append(append([]bpf.RawInstruction{}, root.stmts...), next.stmts...)
			}
			root = next
			c1 = true
		}
		if !root.leaf {
			if v, ok := decide(root, factSet{}); ok {
				if v {
					root = root.jt
				} else {
					root = root.jf
				}
				c1 = true
			}
		}
		var c2 bool
		root, c2 = intern(root)
		if !c1 && !c2 {
			break
		}
	}
	dedupStatements(root)
	return root
}

// ---- phase 2: redundant and dead statements ----

type regs struct {
	a, x int
	m    [memWords]int
}

type valueTable struct {
	ids  map[string]int
	next int
}

func (t *valueTable) id(key string) int {
	if v, ok := t.ids[key]; ok {
		return v
	}
	t.next++
	t.ids[key] = t.next
	return t.next
}

func (t *valueTable) fresh() int {
	t.next++
	return t.next
}

func meet(a, b regs) regs {
	if a.a != b.a {
		a.a = 0
	}
	if a.x != b.x {
		a.x = 0
	}
	for i := range a.m {
		if a.m[i] != b.m[i] {
			a.m[i] = 0
		}
	}
	return a
}

func dedupStatements(root *block) {
	order := topo(root)
	vt := &valueTable{ids: map[string]int{}}
	out := map[*block]regs{}
	preds := map[*block][]*block{}
	for _, b := range order {
		if !b.leaf {
			preds[b.jt] = append(preds[b.jt], b)
			if b.jf != b.jt {
				preds[b.jf] = append(preds[b.jf], b)
			}
		}
	}
	for _, b := range order {
		var r regs
		for i, p := range preds[b] {
			if i == 0 {
				r = out[p]
			} else {
				r = meet(r, out[p])
			}
		}
		orZero := func(v int) int {
			if v == 0 {
				return vt.fresh()
			}
			return v
		}
		var kept []bpf.RawInstruction
		for _, s := range b.stmts {
			key := ""
			dest := &r.a
			switch s.Op & 0x07 {
			case opLD:
				switch s.Op & 0xe0 {
				case mIMM:
					key = fmt.Sprintf("imm %d", s.K)
				case mABS:
					key = fmt.Sprintf("abs %x %d", s.Op, s.K)
				case mIND:
					key = fmt.Sprintf("ind %x %d %d", s.Op, r.x, s.K)
					if r.x == 0 {
						key = ""
					}
				case mLEN:
					key = "len"
				case mMEM:
					nv := orZero(r.m[s.K])
					r.m[s.K] = nv
					if r.a == nv {
						continue
					}
					r.a = nv
					kept = append(kept, s)
					continue
				}
			case opLDX:
				dest = &r.x
				switch s.Op & 0xe0 {
				case mIMM:
					key = fmt.Sprintf("imm %d", s.K)
				case mLEN:
					key = "len"
				case mMSH:
					key = fmt.Sprintf("msh %d", s.K)
				case mMEM:
					nv := orZero(r.m[s.K])
					r.m[s.K] = nv
					if r.x == nv {
						continue
					}
					r.x = nv
					kept = append(kept, s)
					continue
				}
			case opST, opSTX:
				v := r.a
				if s.Op&0x07 == opSTX {
					v = r.x
				}
				v = orZero(v)
				if s.Op&0x07 == opST {
					r.a = v
				} else {
					r.x = v
				}
				if r.m[s.K] == v {
					continue
				}
				r.m[s.K] = v
				kept = append(kept, s)
				continue
			case opALU:
				if r.a == 0 {
					key = ""
				} else if s.Op&srcX != 0 {
					if r.x != 0 {
						key = fmt.Sprintf("alu %x %d %d", s.Op, r.a, r.x)
					}
				} else {
					key = fmt.Sprintf("alu %x %d #%d", s.Op, r.a, s.K)
				}
			case opMISC:
				if s.Op&0xf8 == miscTXA {
					v := orZero(r.x)
					r.x = v
					if r.a == v {
						continue
					}
					r.a = v
				} else {
					v := orZero(r.a)
					r.a = v
					if r.x == v {
						continue
					}
					r.x = v
				}
				kept = append(kept, s)
				continue
			}
			var nv int
			if key == "" {
				nv = vt.fresh()
			} else {
				nv = vt.id(key)
			}
			if *dest == nv {
				continue
			}
			*dest = nv
			kept = append(kept, s)
		}
		b.stmts = kept
		out[b] = r
	}
	removeDead(order)
}

// removeDead deletes register moves and stores whose result no later
// instruction reads. Packet loads stay: they can end the program when out
// of bounds, and that behaviour must not change.
func removeDead(order []*block) {
	const bitA, bitX = 1 << 16, 1 << 17
	liveIn := map[*block]uint32{}
	for i := len(order) - 1; i >= 0; i-- {
		b := order[i]
		var live uint32
		if b.leaf {
			if b.ret.Op == opRET|retA {
				live = bitA
			}
			liveIn[b] = live
			continue
		}
		live = liveIn[b.jt] | liveIn[b.jf] | bitA
		if b.op&srcX != 0 {
			live |= bitX
		}
		var kept []bpf.RawInstruction
		for j := len(b.stmts) - 1; j >= 0; j-- {
			s := b.stmts[j]
			var def, use uint32
			pure := true
			switch s.Op & 0x07 {
			case opLD:
				def = bitA
				switch s.Op & 0xe0 {
				case mABS:
					pure = false
				case mIND:
					pure, use = false, bitX
				case mMEM:
					use = 1 << s.K
				}
			case opLDX:
				def = bitX
				switch s.Op & 0xe0 {
				case mMSH:
					pure = false
				case mMEM:
					use = 1 << s.K
				}
			case opST:
				def, use = 1<<s.K, bitA
			case opSTX:
				def, use = 1<<s.K, bitX
			case opALU:
				def, use = bitA, bitA
				if s.Op&srcX != 0 {
					use |= bitX
				}
				if op := s.Op & 0xf0; op == aluDIV || op == aluMOD {
					pure = s.Op&srcX == 0
				}
			case opMISC:
				if s.Op&0xf8 == miscTXA {
					def, use = bitA, bitX
				} else {
					def, use = bitX, bitA
				}
			}
			if pure && live&def == 0 {
				continue
			}
			live = live&^def | use
			kept = append(kept, s)
		}
		for l, r := 0, len(kept)-1; l < r; l, r = l+1, r-1 {
			kept[l], kept[r] = kept[r], kept[l]
		}
		b.stmts = kept
		liveIn[b] = live
	}
}
