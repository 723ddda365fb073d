package filter

import "golang.org/x/net/bpf"

// Classic BPF opcode pieces (linux/filter.h).
const (
	opLD   = 0x00
	opLDX  = 0x01
	opST   = 0x02
	opSTX  = 0x03
	opALU  = 0x04
	opJMP  = 0x05
	opRET  = 0x06
	opMISC = 0x07

	szW = 0x00
	szH = 0x08
	szB = 0x10

	mIMM = 0x00
	mABS = 0x20
	mIND = 0x40
	mMEM = 0x60
	mLEN = 0x80
	mMSH = 0xa0

	aluADD = 0x00
	aluSUB = 0x10
	aluMUL = 0x20
	aluDIV = 0x30
	aluOR  = 0x40
	aluAND = 0x50
	aluLSH = 0x60
	aluRSH = 0x70
	aluNEG = 0x80
	aluMOD = 0x90
	aluXOR = 0xa0

	jJA   = 0x00
	jJEQ  = 0x10
	jJGT  = 0x20
	jJGE  = 0x30
	jJSET = 0x40

	srcK = 0x00
	srcX = 0x08

	retK = 0x00
	retA = 0x10

	miscTAX = 0x00
	miscTXA = 0x80

	// Linux ancillary data offsets (SKF_AD_OFF + SKF_AD_*).
	skfAdOff            = 0xfffff000
	skfAdProtocol       = 0
	skfAdPktType        = 4
	skfAdIfIndex        = 8
	skfAdNLAttr         = 12
	skfAdNLAttrNest     = 16
	skfAdMark           = 20
	skfAdQueue          = 24
	skfAdHaType         = 28
	skfAdRXHash         = 32
	skfAdCPU            = 36
	skfAdAlu            = 40
	skfAdVLANTag        = 44
	skfAdVLANTagPresent = 48
	skfAdPayOffset      = 52
	skfAdRandom         = 56
	skfAdVLANTPID       = 60
	skfAdMax            = 64

	maxInsns       = 4096
	memWords       = 16
	packetOutgoing = 4
)

func ins(code uint16, k uint32) bpf.RawInstruction { return bpf.RawInstruction{Op: code, K: k} }

// block is a node of the control-flow graph: statements, then either a
// conditional jump (op, k) to jt/jf, or a return when leaf is set.
type block struct {
	stmts []bpf.RawInstruction
	op    uint16 // jump class|op|src
	k     uint32
	jt    *block
	jf    *block
	leaf  bool
	fall  bool               // no test: continue at jt (== jf), with a ja unless laid out next
	ret   bpf.RawInstruction // BPF_RET instruction when leaf

	// Set by the optimizer: blocks with equal vid have the same
	// statements, so they leave the same A (numberValues).
	vid int32
}

// cond is a boolean subexpression under construction: its entry block and the
// unpatched edges taken when it is true and when it is false.
type cond struct {
	entry *block
	t, f  edges
}

// edges is a list of unpatched edges. Every cond is used once, so and and or
// join their operands' lists in place, in constant time: copying them made
// a chain of n terms cost O(n²).
type edges struct{ first, last *edgeNode }

type edgeNode struct {
	e    **block
	next *edgeNode
}

func edge(e **block) edges {
	n := &edgeNode{e: e}
	return edges{n, n}
}

func (l edges) join(m edges) edges {
	switch {
	case l.first == nil:
		return m
	case m.first == nil:
		return l
	}
	l.last.next = m.first
	return edges{l.first, m.last}
}

func newTest(stmts []bpf.RawInstruction, op uint16, k uint32) cond {
	b := &block{stmts: stmts, op: opJMP | op, k: k}
	return cond{entry: b, t: edge(&b.jt), f: edge(&b.jf)}
}

func patch(l edges, to *block) {
	for n := l.first; n != nil; n = n.next {
		*n.e = to
	}
}

func and(a, b cond) cond {
	patch(a.t, b.entry)
	return cond{entry: a.entry, t: b.t, f: a.f.join(b.f)}
}

func or(a, b cond) cond {
	patch(a.f, b.entry)
	return cond{entry: a.entry, t: a.t.join(b.t), f: b.f}
}

func not(a cond) cond { return cond{entry: a.entry, t: a.f, f: a.t} }
