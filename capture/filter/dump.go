package filter

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// DumpFormat selects one of tcpdump's program listings.
type DumpFormat int

const (
	DumpAsm     DumpFormat = 1 // tcpdump -d: readable assembly
	DumpC       DumpFormat = 2 // tcpdump -dd: a C array of struct bpf_insn
	DumpDecimal DumpFormat = 3 // tcpdump -ddd: a count, then "code jt jf k" in decimal
)

// Dump writes prog as `tcpdump -d`, `-dd` or `-ddd` would.
func Dump(w io.Writer, prog []bpf.RawInstruction, format DumpFormat) error {
	bw := bufio.NewWriter(w)
	switch format {
	case DumpAsm:
		for i, in := range prog {
			fmt.Fprintln(bw, Image(in, i))
		}
	case DumpC:
		for _, in := range prog {
			fmt.Fprintf(bw, "{ 0x%x, %d, %d, 0x%08x },\n", in.Op, in.Jt, in.Jf, in.K)
		}
	case DumpDecimal:
		fmt.Fprintf(bw, "%d\n", len(prog))
		for _, in := range prog {
			fmt.Fprintf(bw, "%d %d %d %d\n", in.Op, in.Jt, in.Jf, in.K)
		}
	default:
		return fmt.Errorf("dump filter: unknown format %d", format)
	}
	return bw.Flush()
}

var ancNames = map[uint32]string{
	skfAdProtocol: "proto", skfAdPktType: "type", skfAdIfIndex: "ifidx", skfAdNLAttr: "nla",
	skfAdNLAttrNest: "nlan", skfAdMark: "mark", skfAdQueue: "queue", skfAdHaType: "hatype",
	skfAdRXHash: "rxhash", skfAdCPU: "cpu", skfAdVLANTag: "vlan_tci", skfAdVLANTagPresent: "vlanp",
	skfAdPayOffset: "poff",
}

// Image formats one instruction at index n like libpcap's bpf_image.
func Image(in bpf.RawInstruction, n int) string {
	var op, operand string
	k := in.K
	sd := strconv.Itoa(int(int32(k)))
	hx := "#0x" + strconv.FormatUint(uint64(k), 16)
	switch in.Op {
	case opRET | retK:
		op, operand = "ret", "#"+sd
	case opRET | retA:
		op = "ret"
	case opLD | szW | mABS, opLD | szH | mABS, opLD | szB | mABS:
		op = map[uint16]string{szW: "ld", szH: "ldh", szB: "ldb"}[in.Op&0x18]
		operand = "[" + sd + "]"
		if k >= skfAdOff {
			if name, ok := ancNames[k-skfAdOff]; ok {
				operand = "[" + name + "]"
			}
		}
	case opLD | szW | mLEN:
		op, operand = "ld", "#pktlen"
	case opLD | szW | mIND, opLD | szH | mIND, opLD | szB | mIND:
		op = map[uint16]string{szW: "ld", szH: "ldh", szB: "ldb"}[in.Op&0x18]
		operand = "[x + " + sd + "]"
	case opLD | mIMM:
		op, operand = "ld", hx
	case opLDX | mIMM:
		op, operand = "ldx", hx
	case opLDX | szB | mMSH:
		op, operand = "ldxb", "4*(["+sd+"]&0xf)"
	case opLD | mMEM:
		op, operand = "ld", "M["+sd+"]"
	case opLDX | mMEM:
		op, operand = "ldx", "M["+sd+"]"
	case opST:
		op, operand = "st", "M["+sd+"]"
	case opSTX:
		op, operand = "stx", "M["+sd+"]"
	case opJMP | jJA:
		op, operand = "ja", strconv.Itoa(n+1+int(int32(k)))
	case opJMP | jJGT | srcK, opJMP | jJGE | srcK, opJMP | jJEQ | srcK, opJMP | jJSET | srcK:
		op, operand = jname(in.Op), hx
	case opJMP | jJGT | srcX, opJMP | jJGE | srcX, opJMP | jJEQ | srcX, opJMP | jJSET | srcX:
		op, operand = jname(in.Op), "x"
	case opALU | aluNEG:
		op = "neg"
	case opMISC | miscTAX:
		op = "tax"
	case opMISC | miscTXA:
		op = "txa"
	default:
		if in.Op&0x07 == opALU && in.Op&0xf0 <= aluXOR {
			op = []string{"add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "neg", "mod", "xor"}[in.Op>>4]
			switch {
			case in.Op&srcX != 0:
				operand = "x"
			case in.Op&0xf0 == aluAND || in.Op&0xf0 == aluOR || in.Op&0xf0 == aluXOR:
				operand = hx
			default:
				operand = "#" + sd
			}
		} else {
			op, operand = "unimp", "0x"+strconv.FormatUint(uint64(in.Op), 16)
		}
	}
	if in.Op&0x07 == opJMP && in.Op&0xf0 != jJA {
		return fmt.Sprintf("(%03d) %-8s %-16s jt %d\tjf %d", n, op, operand, n+1+int(in.Jt), n+1+int(in.Jf))
	}
	return fmt.Sprintf("(%03d) %-8s %s", n, op, operand)
}

func jname(code uint16) string {
	return map[uint16]string{jJGT: "jgt", jJGE: "jge", jJEQ: "jeq", jJSET: "jset"}[code&0xf0]
}

// ParseDDD reads the `tcpdump -ddd` format: the instruction count on the
// first line, then one "code jt jf k" line (decimal) per instruction. Commas
// are accepted as separators too, as in the kernel's bpf_asm output.
func ParseDDD(text string) ([]bpf.RawInstruction, error) {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(text, ",", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("parse bpf program: empty")
	}
	n, err := strconv.Atoi(lines[0])
	if err != nil || n < 1 || n > maxInsns {
		return nil, fmt.Errorf("parse bpf program: first line %q is not an instruction count from 1 to %d", lines[0], maxInsns)
	}
	if len(lines)-1 != n {
		return nil, fmt.Errorf("parse bpf program: count says %d instructions, found %d", n, len(lines)-1)
	}
	prog := make([]bpf.RawInstruction, n)
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 {
			return nil, fmt.Errorf("parse bpf program: line %d: want \"code jt jf k\", got %q", i+2, l)
		}
		var v [4]uint64
		limits := [4]int{16, 8, 8, 32}
		for j := range f {
			v[j], err = strconv.ParseUint(f[j], 10, limits[j])
			if err != nil {
				return nil, fmt.Errorf("parse bpf program: line %d: field %d %q: not a %d-bit decimal number", i+2, j+1, f[j], limits[j])
			}
		}
		prog[i] = bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])}
	}
	return prog, nil
}
