package decode

import "strings"

// GRE flag bits (RFC 1701, RFC 2637) and the names tcpdump gives them.
var greFlags = []struct {
	bit  uint16
	name string
}{
	{0x8000, "checksum present"}, {0x4000, "routing present"}, {0x2000, "key present"},
	{0x1000, "sequence# present"}, {0x0800, "source routing present"}, {0x0080, "ack present"},
}

func greFlagString(flags uint16) string {
	var names []string
	for _, f := range greFlags {
		if flags&f.bit != 0 {
			names = append(names, f.name)
		}
	}
	if names == nil {
		return "none"
	}
	return strings.Join(names, ", ")
}

// greCheck ends the line with " [|gre]" when the first end bytes are not
// all captured or not all inside the packet's length (tcpdump's ND_TCHECK
// and "len < n" checks, which both go to its trunc label).
func (p *Printer) greCheck(b []byte, length, end int) {
	if length < end {
		p.tcheck(nil, 1)
	}
	p.tcheck(b, end)
}

// gre prints GRE (IP protocol 47) as tcpdump's gre_print does: version 0
// with its optional checksum, key, sequence and source route fields, then
// the payload (IPv4, IPv6, or Ethernet for transparent bridging); version 1
// (PPTP) with its call, sequence and acknowledgment, and PPP. Payloads
// netdiag has no printer for (MPLS, PPP control protocols, …) are shown as
// "gre-proto-0x…".
func (p *Printer) gre(b []byte, length int) {
	p.proto = "gre"
	p.greCheck(b, length, 2)
	flags := p.be16(b, 0)
	vers := flags & 7
	p.s("GREv")
	p.u(uint64(vers))
	if vers > 1 {
		p.s(" ERROR: unknown-version")
		return
	}
	if p.opts.Verbose > 0 {
		p.s(", Flags [")
		p.s(greFlagString(flags))
		p.c(']')
	}
	p.greCheck(b, length, 4)
	proto := p.be16(b, 2)
	off := 4
	field := func(size int) uint32 {
		p.greCheck(b, length, off+size)
		v := uint32(p.be16(b, off))
		if size == 4 {
			v = p.be32(b, off)
		}
		off += size
		return v
	}
	if vers == 1 {
		// Each field is read before its label is printed: a field cut
		// short ends the line without the label, as in tcpdump.
		if flags&0x2000 != 0 {
			v := field(4)
			p.s(", call ")
			p.u(uint64(v & 0xffff))
		}
		if flags&0x1000 != 0 {
			v := field(4)
			p.s(", seq ")
			p.u(uint64(v))
		}
		if flags&0x0080 != 0 {
			v := field(4)
			p.s(", ack ")
			p.u(uint64(v))
		}
		if flags&0x1000 == 0 {
			p.s(", no-payload")
			p.greTail(proto, length)
			return
		}
		p.greTail(proto, length)
		p.grePayload(b[min(off, len(b)):], length-off, proto, vers)
		return
	}
	if flags&0xc000 != 0 {
		sum := field(2)
		if p.opts.Verbose > 0 {
			p.s(", sum 0x")
			p.hex(uint64(sum))
		}
		ro := field(2)
		p.s(", off 0x")
		p.hex(uint64(ro))
	}
	if flags&0x2000 != 0 {
		v := field(4)
		p.s(", key=0x")
		p.hex(uint64(v))
	}
	if flags&0x1000 != 0 {
		v := field(4)
		p.s(", seq ")
		p.u(uint64(v))
	}
	if flags&0x4000 != 0 {
		// Source route entries, up to the empty one.
		for {
			p.greCheck(b, length, off+4)
			af, sreoff, srelen := p.be16(b, off), int(b[off+2]), int(b[off+3])
			off += 4
			if af == 0 && srelen == 0 {
				break
			}
			if !p.greSRE(af, sreoff, srelen, b[off:], length-off) || length-off < srelen {
				p.tcheck(nil, 1)
			}
			off += srelen
		}
	}
	p.greTail(proto, length)
	p.grePayload(b[min(off, len(b)):], length-off, proto, vers)
}

// greTail prints what follows the optional fields: the protocol with -e
// and the length.
func (p *Printer) greTail(proto uint16, length int) {
	if p.opts.LinkHeader {
		p.s(", proto ")
		if n, ok := etherTypeNames[proto]; ok {
			p.s(n)
		} else {
			p.s("unknown")
		}
		p.s(" (0x")
		p.hexw(uint64(proto), 4)
		p.c(')')
	}
	p.s(", length ")
	p.i(length)
}

func (p *Printer) grePayload(b []byte, length int, proto, vers uint16) {
	if p.opts.Verbose < 1 {
		p.s(": ")
	} else {
		p.s("\n\t")
	}
	switch {
	case vers == 0 && proto == 0x0800:
		p.ip(b, length)
	case vers == 0 && proto == 0x86dd:
		p.ip6(b, length)
	case vers == 0 && proto == 0x6558:
		p.innerEther(b, length)
	case vers == 1 && proto == 0x880b && pppDecodes(b, length):
		p.ppp(b, length)
	case vers == 0 && proto == 0x8847: // tcpdump leaves 0x8848 undecoded here
		p.mpls(b, length)
	default:
		p.s("gre-proto-0x")
		p.hex(uint64(proto))
	}
}

// greSRE prints one source route entry (IPv4 addresses or AS numbers, the
// current one starred); false when it runs past the packet.
func (p *Printer) greSRE(af uint16, sreoff, srelen int, b []byte, length int) bool {
	size := 0
	switch af {
	case 0x0800:
		p.s(", (rtaf=ip")
		size = 4
	case 0xfffe:
		p.s(", (rtaf=asn")
		size = 2
	default:
		p.s(", (rtaf=0x")
		p.hex(uint64(af))
		p.c(')')
		return true
	}
	defer p.c(')')
	switch {
	case sreoff%size != 0:
		p.s(", badoffset=")
		p.i(sreoff)
		return true
	case srelen%size != 0:
		p.s(", badlength=")
		p.i(srelen)
		return true
	case sreoff >= srelen:
		p.s(", badoff/len=")
		p.i(sreoff)
		p.c('/')
		p.i(srelen)
		return true
	}
	for at := 0; at < srelen; at += size {
		if len(b) < at+size || length < at+size {
			return false
		}
		p.c(' ')
		if at == sreoff {
			p.c('*')
		}
		if size == 4 {
			p.ip4(b[at:])
		} else {
			p.hex(uint64(p.be16(b, at)))
		}
	}
	return true
}
