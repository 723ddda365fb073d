package decode

import "encoding/binary"

// BFD (RFC 5880/5881/5883/7130) as tcpdump 4.99's bfd_print prints it.
// tcpdump picks the printer by destination port only: 3784 single hop
// control, 4784 multihop, 6784 micro-BFD on LAG members, 3785 echo. Its
// bounds checks all end the line as a truncation (with the whole packet in
// -x dumps).

var bfdDiags = []string{"No Diagnostic", "Control Detection Time Expired", "Echo Function Failed",
	"Neighbor Signaled Session Down", "Forwarding Plane Reset", "Path Down",
	"Concatenated Path Down", "Administratively Down", "Reverse Concatenated Path Down"}

var bfdV0Flags = []struct {
	bit  uint8
	name string
}{{0x80, "I Hear You"}, {0x40, "Demand"}, {0x20, "Poll"}, {0x10, "Final"},
	{0x08, "Control Plane Independent"}, {0x04, "Authentication Present"}, {0x02, "Reserved"}, {0x01, "Reserved"}}

var bfdV1Flags = []struct {
	bit  uint8
	name string
}{{0x20, "Poll"}, {0x10, "Final"}, {0x08, "Control Plane Independent"},
	{0x04, "Authentication Present"}, {0x02, "Demand"}, {0x01, "Multipoint"}}

var bfdStates = []string{"AdminDown", "Down", "Init", "Up"}

var bfdAuthTypes = map[uint8]string{1: "Simple Password", 2: "Keyed MD5", 3: "Meticulous Keyed MD5",
	4: "Keyed SHA1", 5: "Meticulous Keyed SHA1"}

func bfdPort(port uint16) bool {
	return port == 3784 || port == 4784 || port == 6784 || port == 3785
}

func (p *Printer) bfd(b []byte, length int, port uint16) {
	p.proto = "bfd"
	if port == 3785 {
		p.s("BFD, Echo, length: ")
		p.i(length)
		if p.opts.Verbose > 0 {
			p.unknownData(b, "\n\t", length)
		}
		return
	}
	p.need(b, 24)
	vd, flags := b[0], b[1]
	version := vd >> 5
	diag := vd & 0x1f
	portName := map[uint16]string{3784: "Control", 4784: "Multihop", 6784: "Lag"}[port]
	flagList := func(table []struct {
		bit  uint8
		name string
	}, f uint8) {
		p.c('[')
		n := 0
		for _, e := range table {
			if f&e.bit != 0 {
				if n > 0 {
					p.s(", ")
				}
				p.s(e.name)
				n++
			}
		}
		if n == 0 {
			p.s("none")
		}
		p.c(']')
	}
	switch version {
	case 0, 1:
		if p.opts.Verbose == 0 {
			if version == 0 {
				p.s("BFDv0, Control, Flags: ")
				flagList(bfdV0Flags, flags)
			} else {
				p.s("BFDv1, ")
				p.s(portName)
				p.s(", State ")
				p.s(bfdStates[flags>>6])
				p.s(", Flags: ")
				flagList(bfdV1Flags, flags&0x3f)
			}
			p.s(", length: ")
			p.i(length)
			return
		}
		p.s("BFDv")
		p.u(uint64(version))
		p.s(", length: ")
		p.i(length)
		if version == 0 {
			p.s("\n\tControl, Flags: ")
			flagList(bfdV0Flags, flags)
		} else {
			p.s("\n\t")
			p.s(portName)
			p.s(", State ")
			p.s(bfdStates[flags>>6])
			p.s(", Flags: ")
			flagList(bfdV1Flags, flags&0x3f)
		}
		p.s(", Diagnostic: ")
		if int(diag) < len(bfdDiags) {
			p.s(bfdDiags[diag])
		} else {
			p.s("unknown")
		}
		p.s(" (0x")
		p.hexw(uint64(diag), 2)
		p.c(')')
		mult := uint32(b[2])
		tx := binary.BigEndian.Uint32(b[12:])
		p.s("\n\tDetection Timer Multiplier: ")
		p.u(uint64(mult))
		p.s(" (")
		// An unsigned int product in tcpdump: it wraps.
		p.u(uint64(mult * tx / 1000))
		p.s(" ms Detection time), BFD Length: ")
		p.u(uint64(b[3]))
		p.s("\n\tMy Discriminator: 0x")
		p.hexw(uint64(binary.BigEndian.Uint32(b[4:])), 8)
		p.s(", Your Discriminator: 0x")
		p.hexw(uint64(binary.BigEndian.Uint32(b[8:])), 8)
		for i, label := range []string{"\n\t  Desired min Tx Interval:    ", "\n\t  Required min Rx Interval:   ", "\n\t  Required min Echo Interval: "} {
			p.s(label)
			p.padRight(itoa10(int(binary.BigEndian.Uint32(b[12+4*i:])/1000)), 4)
			p.s(" ms")
		}
		if flags&0x04 != 0 {
			p.bfdAuth(b[24:])
		}
	default:
		p.s("BFDv")
		p.u(uint64(version))
		p.s(", Control, length: ")
		p.i(length)
		if p.opts.Verbose > 0 {
			p.unknownData(b, "\n\t", length)
		}
	}
}

// bfdAuth prints the authentication section after the 24-byte header.
func (p *Printer) bfdAuth(b []byte) {
	p.need(b, 4)
	typ, alen := b[0], int(b[1])
	p.s("\n\tAuthentication: ")
	if n, ok := bfdAuthTypes[typ]; ok {
		p.s(n)
	} else {
		p.s("Unknown")
	}
	p.s(" (")
	p.u(uint64(typ))
	p.s("), length: ")
	p.i(alen)
	p.s("\n\t  Auth Key ID: ")
	p.u(uint64(b[2]))
	invalid := func() {
		p.s("[invalid length ")
		p.i(alen)
		p.c(']')
	}
	hash := func(name string, n int) {
		seq := p.be32(b, 4)
		p.s(", Sequence Number: 0x")
		p.hexw(uint64(seq), 8)
		p.need(b, 8+n)
		p.s("\n\t  ")
		p.s(name)
		p.s(": ")
		p.hexBytes(b[8 : 8+n])
	}
	switch typ {
	case 1:
		if alen < 4 || alen > 19 {
			invalid()
			return
		}
		p.s(", Password: ")
		p.printjn(b[3:], alen-3)
	case 2, 3:
		if alen != 24 {
			invalid()
			return
		}
		hash("Digest", 16)
	case 4, 5:
		if alen != 28 {
			invalid()
			return
		}
		hash("Hash", 20)
	}
}
