package filter

import (
	"encoding/binary"

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
// Like libpcap's or_pullup and and_pullup, it also moves tests of the same
// value next to each other in chains of alternatives (`host A or host B`
// tests every source address, then every destination address).
// The second phase, on the final graph, deletes loads of values a register
// already holds on every path, and dead register moves; blocks that became
// the same are merged once more.
//
// A pass costs the size of the graph times the few facts a path carries,
// plus one bit per block and repeated test (relevance): 1,000 `host` terms
// compile in a fifth of a second and 30 MB, where libpcap takes minutes
// (its passes repeat over bit sets of every block until nothing moves).

type fact struct {
	val int32 // the computation of A: a vid
	op  uint16
	k   uint32
}

// numberValues gives every block the vid of its statement list.
func numberValues(blocks []*block) {
	ids := map[string]int32{}
	var buf []byte
	for _, b := range blocks {
		buf = buf[:0]
		for _, s := range b.stmts {
			buf = binary.LittleEndian.AppendUint16(buf, s.Op)
			buf = binary.LittleEndian.AppendUint32(buf, s.K)
		}
		id, ok := ids[string(buf)]
		if !ok {
			id = int32(len(ids) + 1)
			ids[string(buf)] = id
		}
		b.vid = id
	}
}

// predicate describes a block's test: what A is computed from, and how it is
// compared. Tests against X are never used for inference. The vid must be
// current (numberValues).
func (b *block) predicate() (fact, bool) {
	if b.op&srcX != 0 || b.leaf || b.fall {
		return fact{}, false
	}
	return fact{val: b.vid, op: b.op & 0xf0, k: b.k}, true
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

// relevance tells which facts can still decide a test, so that paths carry
// only those: along a chain of n alternatives every other fact would be
// copied n times. A fact decides a later test of the same predicate; an
// equality also decides later equalities of its value, as a known value
// (true) or by ruling a value out of a known set (false: useful only once
// the set exists, as sets are made from what each path already knows). Both
// are kept only while such a test can still come: up to the last block, in
// topological order, that makes it. That bound is loose where paths branch
// (the last such block may be on another branch) but never short, and it
// costs one number per repeated test, where the set of tests each block
// reaches would cost a bit per block and test.
type relevance struct {
	index map[*block]int // position in the topological order
	preds map[fact]int   // predicates of two or more blocks: last position
	vals  map[int32]int  // values of two or more equality tests: last position
}

func newRelevance(order []*block) relevance {
	tested := map[fact]int{}
	jeqs := map[int32]int{}
	r := relevance{index: make(map[*block]int, len(order)), preds: map[fact]int{}, vals: map[int32]int{}}
	for i, b := range order {
		r.index[b] = i
		if p, ok := b.predicate(); ok {
			tested[p]++
			if tested[p] > 1 {
				r.preds[p] = i
			}
			if p.op == jJEQ {
				jeqs[p.val]++
				if jeqs[p.val] > 1 {
					r.vals[p.val] = i
				}
			}
		}
	}
	return r
}

// keep tells whether fact f (holding v) still matters on entry to block t,
// in a set that holds fs.
func (r relevance) keep(fs factSet, f fact, v bool, t *block) bool {
	at := r.index[t]
	if last, ok := r.preds[f]; ok && at <= last {
		return true
	}
	switch f.op {
	case jJEQ, opOneOf, opOneOfKnown:
	default:
		return false
	}
	if last, ok := r.vals[f.val]; !ok || at > last {
		return false
	}
	return f.op != jJEQ || v || fs[fact{val: f.val, op: opOneOfKnown}]
}

// Value sets: fact{val, opOneOf, k} says k is one of the values val can
// have, and fact{val, opOneOfKnown, 0} that this list is complete (from
// paths that met, each knowing val by an equality).
const (
	opOneOf      = 0x100
	opOneOfKnown = 0x200
	maxOneOf     = 16
)

// possible returns the values val can have, when the facts limit them.
func possible(fs factSet, val int32) (map[uint32]bool, bool) {
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
	order := topo(root)
	numberValues(order)
	rel := newRelevance(order)
	for _, b := range order {
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
			vals := map[int32]bool{}
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
			// Every step goes down the graph, so the walk ends; it is
			// long only once per run of tests a fact decides (a packet
			// that is neither IPv4, ARP nor RARP skips every host test).
			for {
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
			for f, v := range efs {
				if !rel.keep(efs, f, v, *edge) {
					delete(efs, f)
				}
			}
			in[*edge] = append(in[*edge], efs)
		}
	}
	return changed
}

// intern merges blocks with the same statements, test and successors. With
// skipMeets (phase 1, where no block relies on registers set before it) it
// also skips tests whose branches meet; going up from the returns, it does
// so for a whole chain at once (`(host A or …) and port P`: on the ARP path
// every host test leads to the reject), where thread, going down, would
// take a pass per test.
func intern(root *block, skipMeets bool) (*block, bool) {
	changed := false
	order := topo(root)
	numberValues(order)
	type key struct {
		vid    int32
		leaf   bool
		op     uint16
		k      uint32
		jt, jf *block
		ret    bpf.RawInstruction
	}
	canon := map[key]*block{}
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
		if skipMeets && b != root && !b.leaf && !b.fall && b.jt == b.jf {
			rep[b] = b.jt
			changed = true
			continue
		}
		key := key{vid: b.vid, leaf: b.leaf}
		if b.leaf {
			key.ret = b.ret
		} else {
			key.op, key.k, key.jt, key.jf = b.op, b.k, b.jt, b.jf
			if b.fall {
				key.op, key.k = 0xffff, 0 // distinct from any test
			}
		}
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
		c3 := pullup(root)
		var c2 bool
		root, c2 = intern(root, true)
		if !c1 && !c2 && !c3 {
			break
		}
	}
	dedupStatements(root)
	// Without their redundant loads, blocks on different paths can be the
	// same code (`jeq #h2` after `ld [30]` on the IPv4 path and after
	// `ld [38]` on the ARP path): merge them, as libpcap's intern_blocks
	// does after its statement pass. Each path still runs the same code on
	// its own registers, so no register is assumed where it is not set.
	root, _ = intern(root, false)
	return root
}

// pullup reorders chains of alternatives so that tests of the same value
// come together, as libpcap's or_pullup and and_pullup do: in
// `host A or host B`, after `src == A` fails the next test is `src == B`,
// then the destinations. A chain is a run of tests joined by their false
// branches that all go to the same place when true (an `or`), or joined by
// their true branches with a common false target (an `and`). Tests of a
// chain read only the packet (phase 1), so their order does not change
// the result, except that a load past the end of a short packet now comes
// sooner: libpcap's program does the same. Unlike libpcap, which asks only
// that the chain's head dominate each member, every member after the head
// must have no other way in, so that no path skips or gains a test.
//
// libpcap pulls one test up per block and pass, repeating its passes to a
// fixed point: each value's tests in one run, the value the chain's
// predecessors tested first, then the others in the order they first
// appear. pullup builds that order directly, once per chain.
func pullup(root *block) bool {
	order := topo(root)
	numberValues(order)
	preds := map[*block][]*block{}
	for _, b := range order {
		if !b.leaf {
			preds[b.jt] = append(preds[b.jt], b)
			if b.jf != b.jt {
				preds[b.jf] = append(preds[b.jf], b)
			}
		}
	}
	test := func(b *block) bool { return !b.leaf && !b.fall && b.jt != b.jf }
	changed := false
	var done [2]map[*block]bool
	done[0], done[1] = map[*block]bool{}, map[*block]bool{}
	for _, b := range order {
		for dir, isOr := range []bool{true, false} {
			if done[dir][b] || !test(b) {
				continue
			}
			// The value the predecessors leave in A.
			ps := preds[b]
			if len(ps) == 0 {
				continue
			}
			key := ps[0].vid
			same := true
			for _, p := range ps {
				same = same && test(p) && p.vid == key
			}
			if !same {
				continue
			}
			next := func(c *block) *block {
				if isOr {
					return c.jf
				}
				return c.jt
			}
			shared := func(c *block) *block {
				if isOr {
					return c.jt
				}
				return c.jf
			}
			chain := []*block{b}
			for c := next(b); test(c) && shared(c) == shared(b) && len(preds[c]) == 1; c = next(c) {
				chain = append(chain, c)
			}
			for _, c := range chain {
				done[dir][c] = true
			}
			if len(chain) < 2 {
				continue
			}
			out := groupChain(chain, key)
			moved := false
			for i := range out {
				moved = moved || out[i] != chain[i]
			}
			if !moved {
				continue
			}
			changed = true
			last := chain[len(chain)-1]
			tail := next(last)
			for i, c := range out {
				to := tail
				if i+1 < len(out) {
					to = out[i+1]
				}
				if isOr {
					c.jf = to
				} else {
					c.jt = to
				}
			}
			head := out[0]
			entry := preds[b]
			for _, p := range entry {
				if p.jt == b {
					p.jt = head
				}
				if p.jf == b {
					p.jf = head
				}
			}
			preds[head] = entry
			for i := 1; i < len(out); i++ {
				preds[out[i]] = []*block{out[i-1]}
			}
			tp := preds[tail]
			for i, p := range tp {
				if p == last {
					tp[i] = out[len(out)-1]
				}
			}
		}
	}
	return changed
}

// groupChain returns chain reordered as libpcap's pullups leave it: the tests
// of value key first, then at each step the next test of the value just
// tested if one is left, else the first test left. The order is otherwise
// kept.
func groupChain(chain []*block, key int32) []*block {
	byVal := map[int32][]int{}
	for i, c := range chain {
		byVal[c.vid] = append(byVal[c.vid], i)
	}
	taken := make([]bool, len(chain))
	out := make([]*block, 0, len(chain))
	first := 0
	for len(out) < len(chain) {
		var pick int
		if q := byVal[key]; len(q) > 0 {
			pick = q[0]
		} else {
			for taken[first] {
				first++
			}
			pick = first
		}
		v := chain[pick].vid
		byVal[v] = byVal[v][1:] // pick heads its value's queue
		taken[pick] = true
		out = append(out, chain[pick])
		key = v
	}
	return out
}

// ---- phase 2: redundant and dead statements ----

type regs struct {
	a, x int
	m    [memWords]int
}

// valueKey is a computation whose result a register can hold: an opcode,
// its constant, and the value numbers it reads.
type valueKey struct {
	op   uint16
	k    uint32
	a, x int
}

type valueTable struct {
	ids  map[valueKey]int
	next int
}

func (t *valueTable) id(key valueKey) int {
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
	vt := &valueTable{ids: map[valueKey]int{}}
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
			var key valueKey
			known := true
			dest := &r.a
			switch s.Op & 0x07 {
			case opLD:
				switch s.Op & 0xe0 {
				case mIMM:
					key = valueKey{op: opLD | mIMM, k: s.K}
				case mABS:
					key = valueKey{op: s.Op, k: s.K}
				case mIND:
					key = valueKey{op: s.Op, k: s.K, x: r.x}
					known = r.x != 0
				case mLEN:
					key = valueKey{op: opLD | mLEN}
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
					key = valueKey{op: opLD | mIMM, k: s.K}
				case mLEN:
					key = valueKey{op: opLD | mLEN}
				case mMSH:
					key = valueKey{op: s.Op, k: s.K}
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
				switch {
				case r.a == 0:
					known = false
				case s.Op&srcX != 0:
					key = valueKey{op: s.Op, a: r.a, x: r.x}
					known = r.x != 0
				default:
					key = valueKey{op: s.Op, k: s.K, a: r.a}
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
			if known {
				nv = vt.id(key)
			} else {
				nv = vt.fresh()
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
