package filter

import "golang.org/x/net/bpf"

// ForCookedSocket rewrites a program compiled for LINUX_SLL or LINUX_SLL2 so
// the kernel can run it on a SOCK_DGRAM packet socket (`-i any`), which
// filters the network-layer packet before any cooked header exists. Loads of
// the header's protocol field become SKF_AD_PROTOCOL, of the packet type
// SKF_AD_PKTTYPE, of the SLL2 interface index SKF_AD_IFINDEX; other packet
// loads move back by the header length (16 or 20), and `len` gets the header
// length added back. Return values stay as they are: they count the cooked
// packet's bytes, and the caller cuts what it builds to that length.
//
// ok is false when the program reads any other header byte (an address,
// ARPHRD type, part of a field), loads at an offset the rewrite cannot
// prove is past the header, or loops (rewrite ForKernel's program instead);
// the caller must then filter in user space.
func ForCookedSocket(prog []bpf.RawInstruction, lt LinkType) (kernelProg []bpf.RawInstruction, ok bool) {
	var hdr uint32
	var fields map[[2]uint32]uint32 // {offset, size} → ancillary offset
	switch lt {
	case LINUX_SLL:
		hdr = 16
		fields = map[[2]uint32]uint32{{0, 2}: skfAdPktType, {14, 2}: skfAdProtocol}
	case LINUX_SLL2:
		hdr = 20
		fields = map[[2]uint32]uint32{{0, 2}: skfAdProtocol, {4, 4}: skfAdIfIndex, {10, 1}: skfAdPktType}
	default:
		return nil, false
	}
	if Loops(prog) || xFromMemory(prog) {
		return nil, false
	}
	size := map[uint16]uint32{szB: 1, szH: 2, szW: 4}
	var out []bpf.RawInstruction
	newPos := make([]int, len(prog)+1)
	for i, in := range prog {
		newPos[i] = len(out)
		code := in.Op
		switch {
		case code&0x07 == opLD && code&0xe0 == mABS && in.K < skfAdOff:
			if in.K >= hdr {
				in.K -= hdr
				break
			}
			ad, found := fields[[2]uint32{in.K, size[code&0x18]}]
			if !found {
				return nil, false
			}
			in = ins(opLD|szW|mABS, skfAdOff+ad)
		case code&0x07 == opLD && code&0xe0 == mIND, code == opLDX|szB|mMSH:
			// X holds an offset relative to K (a header length or a
			// computed index: xFromMemory ruled out offsets the program
			// stored, which geneve and vxlan make absolute), so the load
			// reads past the cooked header exactly when K does.
			if in.K < hdr {
				return nil, false
			}
			in.K -= hdr
		case code == opLD|szW|mLEN:
			out = append(out, in)
			in = ins(opALU|aluADD|srcK, hdr)
		case code == opLDX|mLEN:
			return nil, false
		}
		out = append(out, in)
	}
	newPos[len(prog)] = len(out)
	for i, in := range prog {
		if in.Op&0x07 != opJMP {
			continue
		}
		j := newPos[i]
		if in.Op&0xf0 == jJA {
			t := i + 1 + int(in.K)
			if t > len(prog) {
				return nil, false
			}
			out[j].K = uint32(newPos[t] - (j + 1))
			continue
		}
		jt := newPos[min(i+1+int(in.Jt), len(prog))] - (j + 1)
		jf := newPos[min(i+1+int(in.Jf), len(prog))] - (j + 1)
		if jt > 255 || jf > 255 {
			return nil, false
		}
		out[j].Jt, out[j].Jf = uint8(jt), uint8(jf)
	}
	return out, true
}

// xFromMemory reports whether an indexed load may run with X loaded from a
// scratch word (ldx M[k]) on some path: the offsets geneve and vxlan store
// count from the start of the packet, cooked header included.
func xFromMemory(prog []bpf.RawInstruction) bool {
	xm := make([]bool, len(prog)+1)
	reached := make([]bool, len(prog)+1)
	reached[0] = true
	for i, in := range prog {
		if !reached[i] {
			continue
		}
		x := xm[i]
		switch {
		case in.Op&0x07 == opLD && in.Op&0xe0 == mIND:
			if x {
				return true
			}
		case in.Op == opLDX|mMEM:
			x = true
		case in.Op&0x07 == opLDX, in.Op == opMISC|miscTAX:
			x = false
		}
		flow := func(j int) {
			if j <= len(prog) {
				reached[j] = true
				xm[j] = xm[j] || x
			}
		}
		switch {
		case in.Op&0x07 == opRET:
		case in.Op == opJMP|jJA:
			flow(i + 1 + int(in.K))
		case in.Op&0x07 == opJMP:
			flow(i + 1 + int(in.Jt))
			flow(i + 1 + int(in.Jf))
		default:
			flow(i + 1)
		}
	}
	return false
}
