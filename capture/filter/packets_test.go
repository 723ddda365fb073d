package filter

import (
	"encoding/binary"
	"errors"
	"hash/fnv"

	"golang.org/x/net/bpf"
)

// Packets for the differential test: a base set of many protocols per link
// type, then packets derived from what each program compares.

type testPacket struct {
	data []byte
	meta Meta
	wire int
}

func ipv4(proto byte, ihl int, payload []byte, src, dst [4]byte, frag uint16) []byte {
	h := make([]byte, ihl*4)
	h[0] = 0x40 | byte(ihl)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8] = 64
	h[9] = proto
	copy(h[12:], src[:])
	copy(h[16:], dst[:])
	return append(h, payload...)
}

func ipv6(nh byte, payload []byte, src, dst [16]byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = nh
	h[7] = 64
	copy(h[8:], src[:])
	copy(h[24:], dst[:])
	return append(h, payload...)
}

func l4(sport, dport uint16, n int) []byte {
	b := make([]byte, n)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	if n >= 14 {
		b[12] = 0x50
		b[13] = 0x02
	}
	return b
}

func arpPkt(op uint16, spa, tpa [4]byte) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)
	binary.BigEndian.PutUint16(b[2:], 0x0800)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], op)
	copy(b[8:], []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55})
	copy(b[14:], spa[:])
	copy(b[24:], tpa[:])
	return b
}

type l3 struct {
	etype uint16
	data  []byte
}

func baseL3() []l3 {
	a := [4]byte{198, 18, 0, 1}
	b := [4]byte{198, 18, 0, 2}
	n10 := [4]byte{10, 1, 2, 3}
	mc := [4]byte{224, 0, 0, 1}
	bc := [4]byte{255, 255, 255, 255}
	v6a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}
	v6b := [16]byte{0xfe, 0x80, 15: 1}
	v6m := [16]byte{0xff, 0x02, 15: 1}
	tcp := l4(1234, 80, 24)
	udp := l4(5353, 53, 16)
	frag6 := append([]byte{17, 0, 0, 0, 0, 0, 0, 1}, l4(53, 53, 16)...)
	hop6 := append([]byte{6, 0, 1, 4, 0, 0, 0, 0}, l4(80, 1234, 24)...)
	icmp := []byte{8, 0, 0, 0, 0, 1, 0, 1}
	icmp6 := []byte{128, 0, 0, 0, 0, 1, 0, 1}
	m1ether := [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	m2ether := [6]byte{0x02, 0, 0, 0, 0, 2}
	var out []l3
	add4 := func(p []byte) { out = append(out, l3{0x0800, p}) }
	add6 := func(p []byte) { out = append(out, l3{0x86dd, p}) }
	add4(ipv4(6, 5, tcp, a, b, 0))
	add4(ipv4(6, 6, l4(80, 443, 24), b, a, 0x4000))
	add4(ipv4(17, 5, udp, n10, a, 0))
	add4(ipv4(1, 5, icmp, a, b, 0))
	add4(ipv4(17, 5, udp, a, b, 0x0010))
	add4(ipv4(132, 5, l4(9, 9, 16), a, b, 0))
	add4(ipv4(2, 5, []byte{0x16, 0, 0, 0, 224, 0, 0, 1}, a, mc, 0))
	add4(ipv4(103, 5, make([]byte, 12), a, b, 0))
	add4(ipv4(112, 5, make([]byte, 12), a, b, 0))
	add4(ipv4(50, 5, make([]byte, 12), a, b, 0))
	add4(ipv4(51, 5, make([]byte, 12), a, b, 0))
	add4(ipv4(17, 5, l4(68, 67, 16), [4]byte{}, bc, 0))
	add4(ipv4(17, 5, l4(4789, 4789, 24), a, mc, 0))
	// Tunnels: Geneve (with and without options, over Ethernet or carrying
	// IPv4 directly) and VXLAN, inner Ethernet with IPv4 TCP or IPv6 UDP.
	innerTCP := ether(m2ether, m1ether, 0x0800, ipv4(6, 5, l4(1234, 80, 24), b, a, 0))
	innerUDP6 := ether(m2ether, m1ether, 0x86dd, ipv6(17, l4(53, 5353, 16), v6a, v6b))
	gen := func(proto uint16, optWords int, vni uint32, inner []byte) []byte {
		h := make([]byte, 8+4*optWords)
		h[0] = byte(optWords)
		binary.BigEndian.PutUint16(h[2:], proto)
		binary.BigEndian.PutUint32(h[4:], vni<<8)
		return append(l4(5000, 6081, 8), append(h, inner...)...)
	}
	vx := func(vni uint32, inner []byte) []byte {
		h := make([]byte, 8)
		h[0] = 0x08
		binary.BigEndian.PutUint32(h[4:], vni<<8)
		return append(l4(5000, 4789, 8), append(h, inner...)...)
	}
	add4(ipv4(17, 5, gen(0x6558, 0, 10, innerTCP), a, b, 0))
	add4(ipv4(17, 6, gen(0x6558, 2, 20, innerUDP6), b, a, 0))
	add4(ipv4(17, 5, gen(0x0800, 0, 10, innerTCP[14:]), a, b, 0))
	add6(ipv6(17, gen(0x6558, 1, 10, innerTCP), v6a, v6b))
	add4(ipv4(17, 5, vx(10, innerTCP), a, b, 0))
	add4(ipv4(17, 6, vx(30, innerUDP6), b, a, 0))
	add6(ipv6(17, vx(10, innerTCP), v6b, v6a))
	add6(ipv6(6, tcp, v6a, v6b))
	add6(ipv6(17, udp, v6b, v6a))
	add6(ipv6(58, icmp6, v6b, v6m))
	add6(ipv6(44, frag6, v6a, v6b))
	add6(ipv6(0, hop6, v6a, v6b))
	add6(ipv6(132, l4(9, 9, 16), v6a, v6b))
	add6(ipv6(103, make([]byte, 12), v6a, v6m))
	out = append(out, l3{0x0806, arpPkt(1, a, b)}, l3{0x8035, arpPkt(3, b, a)}, l3{0x6003, make([]byte, 30)})
	return out
}

func ether(dst, src [6]byte, etype uint16, p []byte) []byte {
	b := make([]byte, 14, 14+len(p))
	copy(b, dst[:])
	copy(b[6:], src[:])
	binary.BigEndian.PutUint16(b[12:], etype)
	return append(b, p...)
}

func basePackets(lt LinkType) []testPacket {
	m1 := [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	m2 := [6]byte{0x02, 0, 0, 0, 0, 2}
	bcast := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	mcast := [6]byte{0x01, 0, 0x5e, 0, 0, 1}
	var out []testPacket
	add := func(d []byte, m Meta) { out = append(out, testPacket{data: d, meta: m, wire: len(d)}) }
	for i, p := range baseL3() {
		m := Meta{Protocol: p.etype, PktType: uint8(i % 5), IfIndex: 1 + i%3}
		switch lt {
		case EN10MB:
			dst := m2
			if i%4 == 1 {
				dst = bcast
			} else if i%4 == 2 {
				dst = mcast
			}
			add(ether(dst, m1, p.etype, p.data), m)
			vl := append([]byte{0, 10, byte(p.etype >> 8), byte(p.etype)}, p.data...)
			add(ether(m1, m2, 0x8100, vl), m)
			qq := append([]byte{0, 20, 0x81, 0x00, 0, 10, byte(p.etype >> 8), byte(p.etype)}, p.data...)
			add(ether(m1, m2, 0x88a8, qq), m)
			if p.etype == 0x0800 || p.etype == 0x86dd {
				add(ether(m1, m2, 0x8847, append([]byte{0, 0x06, 0x41, 64}, p.data...)), m)
				add(ether(m1, m2, 0x8847, append([]byte{0, 0x05, 0x00, 64, 0, 0x06, 0x41, 64}, p.data...)), m)
				ppp := uint16(0x0021)
				if p.etype == 0x86dd {
					ppp = 0x57
				}
				hdr := []byte{0x11, 0, 0, 0x11, 0, byte(len(p.data) + 2), byte(ppp >> 8), byte(ppp)}
				add(ether(m1, m2, 0x8864, append(hdr, p.data...)), m)
			}
		case LINUX_SLL, LINUX_SLL2:
			for _, pt := range []uint16{0, 4} {
				var h []byte
				if lt == LINUX_SLL {
					h = make([]byte, 16)
					binary.BigEndian.PutUint16(h[0:], pt)
					binary.BigEndian.PutUint16(h[2:], 1)
					binary.BigEndian.PutUint16(h[4:], 6)
					copy(h[6:], m1[:])
					binary.BigEndian.PutUint16(h[14:], p.etype)
				} else {
					h = make([]byte, 20)
					binary.BigEndian.PutUint16(h[0:], p.etype)
					binary.BigEndian.PutUint32(h[4:], uint32(2+i%3))
					binary.BigEndian.PutUint16(h[8:], 1)
					h[10] = byte(pt)
					h[11] = 6
					copy(h[12:], m1[:])
				}
				mm := m
				mm.PktType = uint8(pt)
				add(append(h, p.data...), mm)
			}
		default:
			if p.etype == 0x0800 || p.etype == 0x86dd {
				add(append([]byte(nil), p.data...), m)
			}
		}
	}
	switch lt {
	case EN10MB:
		llc := ether(m2, m1, 38, append([]byte{0x42, 0x42, 0x03}, make([]byte, 35)...))
		add(llc, Meta{})
		add(ether(m2, m1, 40, append([]byte{0xfe, 0xfe, 0x03, 0x81}, make([]byte, 36)...)), Meta{})
		add(ether(m2, m1, 40, append([]byte{0xf0, 0xf0, 0x03}, make([]byte, 37)...)), Meta{})
		add(ether(m2, m1, 0x8863, make([]byte, 20)), Meta{})
	case LINUX_SLL:
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[14:], 4)
		add(append(h, 0x42, 0x42, 3, 0, 0, 0), Meta{})
	}
	// Truncated copies exercise out-of-bounds loads.
	n := len(out)
	for i := 0; i < n; i += 3 {
		p := out[i]
		for _, l := range []int{1, 13, 14, 16, 20, 24, 30, 34, 38, 41, 54, 55} {
			if l < len(p.data) {
				out = append(out, testPacket{data: append([]byte(nil), p.data[:l]...), meta: p.meta, wire: len(p.data)})
			}
		}
	}
	return out
}

// constraint is a comparison a program made on a packet field.
type constraint struct {
	kind int // 0 packet bytes, 1 ancillary, 2 length
	off  uint64
	size uint32
	mask uint32
	op   uint16
	k    uint32
}

// trace runs prog like Run and records comparisons of values loaded straight
// from the packet (possibly masked) or from metadata.
func trace(prog []bpf.RawInstruction, p testPacket) []constraint {
	var a, x uint32
	var mem [memWords]uint32
	type src struct {
		kind int
		off  uint64
		size uint32
		mask uint32
		ok   bool
	}
	var as src
	var out []constraint
	pkt := p.data
	ld := func(off uint64, size uint32) (uint32, bool) {
		if off+uint64(size) > uint64(len(pkt)) {
			return 0, false
		}
		var v uint32
		for i := uint64(0); i < uint64(size); i++ {
			v = v<<8 | uint32(pkt[off+i])
		}
		return v, true
	}
	sz := func(c uint16) uint32 { return map[uint16]uint32{szB: 1, szH: 2, szW: 4}[c&0x18] }
	pc := 0
	for steps := 0; steps < 100000 && pc >= 0 && pc < len(prog); steps++ {
		in := prog[pc]
		pc++
		c := in.Op
		switch c & 7 {
		case opLD:
			as = src{}
			switch c & 0xe0 {
			case mIMM:
				a = in.K
			case mABS:
				if in.K >= skfAdOff {
					a = ancillary(in.K-skfAdOff, &p.meta)
					as = src{kind: 1, off: uint64(in.K - skfAdOff), mask: 0xffffffff, ok: true}
					continue
				}
				v, ok := ld(uint64(in.K), sz(c))
				if !ok {
					return out
				}
				a, as = v, src{off: uint64(in.K), size: sz(c), mask: 0xffffffff, ok: true}
			case mIND:
				v, ok := ld(uint64(x)+uint64(in.K), sz(c))
				if !ok {
					return out
				}
				a, as = v, src{off: uint64(x) + uint64(in.K), size: sz(c), mask: 0xffffffff, ok: true}
			case mMEM:
				a = mem[in.K&15]
			case mLEN:
				a, as = uint32(p.wire), src{kind: 2, mask: 0xffffffff, ok: true}
			}
		case opLDX:
			switch c & 0xe0 {
			case mIMM:
				x = in.K
			case mMEM:
				x = mem[in.K&15]
			case mLEN:
				x = uint32(p.wire)
			case mMSH:
				v, ok := ld(uint64(in.K), 1)
				if !ok {
					return out
				}
				x = 4 * (v & 0xf)
			}
		case opST:
			mem[in.K&15] = a
		case opSTX:
			mem[in.K&15] = x
		case opALU:
			v := in.K
			if c&srcX != 0 {
				v = x
			}
			if c&0xf0 == aluAND && c&srcX == 0 {
				as.mask &= v
			} else {
				as.ok = false
			}
			switch c & 0xf0 {
			case aluADD:
				a += v
			case aluSUB:
				a -= v
			case aluMUL:
				a *= v
			case aluDIV:
				if v == 0 {
					return out
				}
				a /= v
			case aluMOD:
				if v == 0 {
					return out
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
			}
		case opJMP:
			if c&0xf0 == jJA {
				pc += int(int32(in.K))
				continue
			}
			v := in.K
			if c&srcX != 0 {
				v = x
			}
			if as.ok {
				out = append(out, constraint{kind: as.kind, off: as.off, size: as.size, mask: as.mask, op: c & 0xf0, k: v})
			}
			var t bool
			switch c & 0xf0 {
			case jJEQ:
				t = a == v
			case jJGT:
				t = a > v
			case jJGE:
				t = a >= v
			case jJSET:
				t = a&v != 0
			}
			if t {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case opRET:
			return out
		case opMISC:
			if c&0xf8 == miscTXA {
				a = x
				as = src{}
			} else {
				x = a
			}
		}
	}
	return out
}

// mutate returns packets that satisfy or just miss constraint c.
func mutate(p testPacket, c constraint) []testPacket {
	var vals []uint32
	switch c.op {
	case jJEQ:
		vals = []uint32{c.k, c.k ^ 1}
	case jJGT, jJGE:
		vals = []uint32{c.k - 1, c.k, c.k + 1}
	case jJSET:
		vals = []uint32{c.k, 0}
	}
	var out []testPacket
	for _, v := range vals {
		q := testPacket{data: append([]byte(nil), p.data...), meta: p.meta, wire: p.wire}
		switch c.kind {
		case 0:
			if c.off+uint64(c.size) > uint64(len(q.data)) {
				continue
			}
			var old uint32
			for i := uint64(0); i < uint64(c.size); i++ {
				old = old<<8 | uint32(q.data[c.off+i])
			}
			nv := old&^c.mask | v&c.mask
			if c.op == jJSET && v == 0 {
				nv = old &^ (c.k & c.mask)
			}
			for i := int(c.size) - 1; i >= 0; i-- {
				q.data[c.off+uint64(i)] = byte(nv)
				nv >>= 8
			}
		case 1:
			switch uint32(c.off) {
			case skfAdPktType:
				q.meta.PktType = uint8(v)
			case skfAdIfIndex:
				q.meta.IfIndex = int(v)
			case skfAdProtocol:
				q.meta.Protocol = uint16(v)
			case skfAdVLANTag:
				q.meta.VLANTCI = uint16(v)
			case skfAdVLANTagPresent:
				q.meta.VLANPresent = v != 0
			default:
				continue
			}
		case 2:
			if v > 4000 {
				continue
			}
			q.wire = int(v)
			if int(v) < len(q.data) {
				q.data = q.data[:v]
			}
		}
		out = append(out, q)
	}
	return out
}

func (p testPacket) key() uint64 {
	h := fnv.New64a()
	h.Write(p.data)
	var m [16]byte
	m[0] = p.meta.PktType
	binary.BigEndian.PutUint32(m[1:], uint32(p.meta.IfIndex))
	binary.BigEndian.PutUint32(m[5:], uint32(p.wire))
	binary.BigEndian.PutUint16(m[9:], p.meta.VLANTCI)
	h.Write(m[:])
	return h.Sum64()
}

// explore runs both programs over the base packets and packets derived from
// their comparisons, returning the first packet where they disagree.
func explore(lt LinkType, a, b []bpf.RawInstruction, limit int, tolerate func(p testPacket, rb uint32) bool) (*testPacket, uint32, uint32, int, error) {
	queue := basePackets(lt)
	seen := map[uint64]bool{}
	n := 0
	for len(queue) > 0 && n < limit {
		p := queue[0]
		queue = queue[1:]
		if seen[p.key()] {
			continue
		}
		seen[p.key()] = true
		n++
		ra, erra := Run(a, p.data, p.wire, &p.meta)
		rb, errb := Run(b, p.data, p.wire, &p.meta)
		if errors.Is(erra, ErrLoop) && errors.Is(errb, ErrLoop) {
			// Both protochain loops never end on this packet (libpcap
			// 1.10's AH step can go back to where it started).
			continue
		}
		if erra != nil {
			return &p, 0, 0, n, erra
		}
		if errb != nil {
			return &p, 0, 0, n, errb
		}
		if ra != rb && (tolerate == nil || !tolerate(p, rb)) {
			return &p, ra, rb, n, nil
		}
		for _, prog := range [][]bpf.RawInstruction{a, b} {
			for _, c := range trace(prog, p) {
				queue = append(queue, mutate(p, c)...)
			}
		}
	}
	return nil, 0, 0, n, nil
}
