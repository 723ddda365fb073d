package filter

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// Meta is what the Linux kernel knows about a packet besides its bytes; the
// ancillary loads (SKF_AD_*) of a program read it.
type Meta struct {
	Protocol    uint16 // SKF_AD_PROTOCOL: the EtherType, host order
	PktType     uint8  // SKF_AD_PKTTYPE: PACKET_HOST, PACKET_OUTGOING (4), …
	IfIndex     int    // SKF_AD_IFINDEX
	VLANTCI     uint16 // SKF_AD_VLAN_TAG
	VLANPresent bool   // SKF_AD_VLAN_TAG_PRESENT
	VLANTPID    uint16 // SKF_AD_VLAN_TPID
	HAType      uint16 // SKF_AD_HATYPE: ARPHRD_*
	Mark        uint32 // SKF_AD_MARK
	Queue       uint16 // SKF_AD_QUEUE
	RXHash      uint32 // SKF_AD_RXHASH
	CPU         uint32 // SKF_AD_CPU
	PayOffset   uint32 // SKF_AD_PAY_OFFSET
}

// maxSteps bounds programs with backward jumps (libpcap's protochain code
// has them; the kernel would refuse such programs).
const maxSteps = 1 << 20

// ErrLoop is returned when a program runs longer than any valid one can.
var ErrLoop = errors.New("run filter: program did not finish")

// Run executes a classic BPF program over pkt, with wirelen as the packet's
// length on the wire (what `len` and BPF_LEN load) and m (nil for zeros) as
// the kernel's metadata. It returns the program's return value: 0 rejects,
// anything else is the number of bytes to keep. Out-of-bounds loads and
// division by zero return 0, as in the kernel and libpcap.
func Run(prog []bpf.RawInstruction, pkt []byte, wirelen int, m *Meta) (uint32, error) {
	return run(prog, pkt, wirelen, m, nil)
}

// loadAt reads a big-endian value of size bytes at off; false when the
// packet is too short.
func loadAt(pkt []byte, off uint64, size uint32) (uint32, bool) {
	if off+uint64(size) > uint64(len(pkt)) {
		return 0, false
	}
	switch size {
	case 1:
		return uint32(pkt[off]), true
	case 2:
		return uint32(pkt[off])<<8 | uint32(pkt[off+1]), true
	}
	return uint32(pkt[off])<<24 | uint32(pkt[off+1])<<16 | uint32(pkt[off+2])<<8 | uint32(pkt[off+3]), true
}

// loadSize is the width of a load instruction's operand.
func loadSize(code uint16) uint32 {
	switch code & 0x18 {
	case szB:
		return 1
	case szH:
		return 2
	}
	return 4
}

// run is Run that calls visit, when not nil, with the index of every
// instruction it executes (tests use it to see the path a packet takes).
func run(prog []bpf.RawInstruction, pkt []byte, wirelen int, m *Meta, visit func(pc int)) (uint32, error) {
	if m == nil {
		m = &Meta{}
	}
	var a, x uint32
	var mem [memWords]uint32
	pc := 0
	for steps := 0; ; steps++ {
		if steps > maxSteps {
			return 0, ErrLoop
		}
		if pc < 0 || pc >= len(prog) {
			return 0, fmt.Errorf("run filter: jumped to %d, outside the %d-instruction program", pc, len(prog))
		}
		if visit != nil {
			visit(pc)
		}
		in := prog[pc]
		pc++
		code := in.Op
		switch code & 0x07 {
		case opLD:
			switch code & 0xe0 {
			case mIMM:
				a = in.K
			case mABS:
				if in.K >= skfAdOff {
					a = ancillary(in.K-skfAdOff, m)
					continue
				}
				v, ok := loadAt(pkt, uint64(in.K), loadSize(code))
				if !ok {
					return 0, nil
				}
				a = v
			case mIND:
				v, ok := loadAt(pkt, uint64(x)+uint64(in.K), loadSize(code))
				if !ok {
					return 0, nil
				}
				a = v
			case mMEM:
				if in.K >= memWords {
					return 0, fmt.Errorf("run filter: scratch word %d out of range at %d", in.K, pc-1)
				}
				a = mem[in.K]
			case mLEN:
				a = uint32(wirelen)
			default:
				return 0, fmt.Errorf("run filter: bad load 0x%x at %d", code, pc-1)
			}
		case opLDX:
			switch code & 0xe0 {
			case mIMM:
				x = in.K
			case mMEM:
				if in.K >= memWords {
					return 0, fmt.Errorf("run filter: scratch word %d out of range at %d", in.K, pc-1)
				}
				x = mem[in.K]
			case mLEN:
				x = uint32(wirelen)
			case mMSH:
				v, ok := loadAt(pkt, uint64(in.K), 1)
				if !ok {
					return 0, nil
				}
				x = 4 * (v & 0xf)
			default:
				return 0, fmt.Errorf("run filter: bad load 0x%x at %d", code, pc-1)
			}
		case opST, opSTX:
			if in.K >= memWords {
				return 0, fmt.Errorf("run filter: scratch word %d out of range at %d", in.K, pc-1)
			}
			if code&0x07 == opST {
				mem[in.K] = a
			} else {
				mem[in.K] = x
			}
		case opALU:
			v := in.K
			if code&srcX != 0 {
				v = x
			}
			switch code & 0xf0 {
			case aluADD:
				a += v
			case aluSUB:
				a -= v
			case aluMUL:
				a *= v
			case aluDIV:
				if v == 0 {
					return 0, nil
				}
				a /= v
			case aluMOD:
				if v == 0 {
					return 0, nil
				}
				a %= v
			case aluAND:
				a &= v
			case aluOR:
				a |= v
			case aluXOR:
				a ^= v
			case aluLSH:
				a <<= v & 31
			case aluRSH:
				a >>= v & 31
			case aluNEG:
				a = -a
			default:
				return 0, fmt.Errorf("run filter: bad ALU op 0x%x at %d", code, pc-1)
			}
		case opJMP:
			op := code & 0xf0
			if op == jJA {
				pc += int(int32(in.K))
				continue
			}
			v := in.K
			if code&srcX != 0 {
				v = x
			}
			var t bool
			switch op {
			case jJEQ:
				t = a == v
			case jJGT:
				t = a > v
			case jJGE:
				t = a >= v
			case jJSET:
				t = a&v != 0
			default:
				return 0, fmt.Errorf("run filter: bad jump 0x%x at %d", code, pc-1)
			}
			if t {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case opRET:
			switch code & 0x18 {
			case retK:
				return in.K, nil
			case retA:
				return a, nil
			}
			return 0, fmt.Errorf("run filter: bad return 0x%x at %d", code, pc-1)
		case opMISC:
			if code&0xf8 == miscTXA {
				a = x
			} else {
				x = a
			}
		}
	}
}

func ancillary(off uint32, m *Meta) uint32 {
	switch off {
	case skfAdProtocol:
		return uint32(m.Protocol)
	case skfAdPktType:
		return uint32(m.PktType)
	case skfAdIfIndex:
		return uint32(m.IfIndex)
	case skfAdMark:
		return m.Mark
	case skfAdQueue:
		return uint32(m.Queue)
	case skfAdHaType:
		return uint32(m.HAType)
	case skfAdRXHash:
		return m.RXHash
	case skfAdCPU:
		return m.CPU
	case skfAdVLANTag:
		return uint32(m.VLANTCI)
	case skfAdVLANTagPresent:
		if m.VLANPresent {
			return 1
		}
		return 0
	case skfAdVLANTPID:
		return uint32(m.VLANTPID)
	case skfAdPayOffset:
		return m.PayOffset
	}
	return 0
}

// Validate checks what the kernel's sk_chk_filter checks: 1 to 4096
// instructions, known opcodes, jumps inside the program, scratch words in
// range and written before read on every path, no division by a constant
// zero or shift by 32 or more, and a return as the last instruction. Like
// libpcap's bpf_validate, and unlike the kernel, it lets a ja jump backward
// (libpcap's protochain loop); Loops reports such programs, and ForKernel
// turns them into ones the kernel takes.
func Validate(prog []bpf.RawInstruction) error {
	if len(prog) == 0 || len(prog) > maxInsns {
		return fmt.Errorf("validate filter: %d instructions, want 1 to %d", len(prog), maxInsns)
	}
	bad := func(i int, format string, args ...any) error {
		return fmt.Errorf("validate filter: instruction %d: %s", i, fmt.Sprintf(format, args...))
	}
	for i, in := range prog {
		code := in.Op
		switch code & 0x07 {
		case opLD:
			switch code & 0xe0 {
			case mIMM, mLEN:
				if code&0x18 != 0 && code&0xe0 != mIMM {
					return bad(i, "bad length load 0x%x", code)
				}
			case mABS, mIND:
				if code&0x18 == 0x18 {
					return bad(i, "bad load size 0x%x", code)
				}
				// The kernel refuses an ancillary offset it does not know
				// (bpf_check_classic): SKF_AD_* are multiples of 4 below 64.
				if code&0xe0 == mABS && in.K >= skfAdOff && (in.K-skfAdOff >= skfAdMax || in.K%4 != 0) {
					return bad(i, "unknown ancillary load [%#x]", in.K)
				}
			case mMEM:
				if in.K >= memWords {
					return bad(i, "scratch word %d out of range", in.K)
				}
			default:
				return bad(i, "bad load 0x%x", code)
			}
		case opLDX:
			switch code {
			case opLDX | mIMM, opLDX | mLEN, opLDX | szB | mMSH:
			case opLDX | mMEM:
				if in.K >= memWords {
					return bad(i, "scratch word %d out of range", in.K)
				}
			default:
				return bad(i, "bad load 0x%x", code)
			}
		case opST, opSTX:
			if code&^0x07 != 0 {
				return bad(i, "bad store 0x%x", code)
			}
			if in.K >= memWords {
				return bad(i, "scratch word %d out of range", in.K)
			}
		case opALU:
			op := code & 0xf0
			if op > aluXOR || code&0x07 != opALU || code&^0xff != 0 {
				return bad(i, "bad ALU op 0x%x", code)
			}
			if code&srcX == 0 {
				if (op == aluDIV || op == aluMOD) && in.K == 0 {
					return bad(i, "division by constant zero")
				}
				if (op == aluLSH || op == aluRSH) && in.K >= 32 {
					return bad(i, "shift by %d", in.K)
				}
			}
		case opJMP:
			op := code & 0xf0
			if op == jJA {
				if code != opJMP|jJA {
					return bad(i, "bad jump 0x%x", code)
				}
				if t := jaTarget(i, in.K); t < 0 || t >= len(prog) {
					return bad(i, "jump out of range")
				}
				continue
			}
			if op > jJSET || code&^0xff != 0 {
				return bad(i, "bad jump 0x%x", code)
			}
			if i+1+int(in.Jt) >= len(prog) || i+1+int(in.Jf) >= len(prog) {
				return bad(i, "jump out of range")
			}
		case opRET:
			if code != opRET|retK && code != opRET|retA {
				return bad(i, "bad return 0x%x", code)
			}
		case opMISC:
			if code != opMISC|miscTAX && code != opMISC|miscTXA {
				return bad(i, "bad misc op 0x%x", code)
			}
		}
	}
	if last := prog[len(prog)-1].Op; last&0x07 != opRET {
		return fmt.Errorf("validate filter: last instruction is not a return")
	}
	return checkMemInit(prog)
}

// jaTarget is where the ja at i goes; k counts modulo 2^32, so a k near
// 2^32 jumps backward.
func jaTarget(i int, k uint32) int { return i + 1 + int(int32(k)) }

// Loops reports whether prog jumps backward, which the kernel refuses.
func Loops(prog []bpf.RawInstruction) bool {
	for i, in := range prog {
		if in.Op == opJMP|jJA && jaTarget(i, in.K) <= i {
			return true
		}
	}
	return false
}

// checkMemInit rejects reads of scratch words that some path has not
// written, as the kernel's check_load_and_stores does. With backward jumps
// it iterates until the written sets settle.
func checkMemInit(prog []bpf.RawInstruction) error {
	in := make([]uint16, len(prog))
	reached := make([]bool, len(prog))
	in[0], reached[0] = 0, true
	for changed := true; changed; {
		changed = false
		for i, p := range prog {
			if !reached[i] {
				continue
			}
			st := in[i]
			switch {
			case p.Op == opST || p.Op == opSTX:
				st |= 1 << p.K
			case p.Op == opLD|mMEM || p.Op == opLDX|mMEM:
				if st&(1<<p.K) == 0 {
					return fmt.Errorf("validate filter: instruction %d reads scratch word %d before it is written", i, p.K)
				}
			}
			flow := func(j int) {
				if j < 0 || j >= len(prog) {
					return
				}
				switch {
				case !reached[j]:
					reached[j], in[j] = true, st
				case in[j]&st != in[j]:
					in[j] &= st
				default:
					return
				}
				if j <= i {
					changed = true
				}
			}
			switch p.Op & 0x07 {
			case opRET:
			case opJMP:
				if p.Op&0xf0 == jJA {
					flow(jaTarget(i, p.K))
				} else {
					flow(i + 1 + int(p.Jt))
					flow(i + 1 + int(p.Jf))
				}
			default:
				flow(i + 1)
			}
		}
	}
	return nil
}
