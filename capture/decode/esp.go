package decode

import "encoding/binary"

// esp prints the clear part of an IPsec ESP header (RFC 4303) as tcpdump
// does without -E: SPI, sequence number and length. tcpdump needs more
// than the 8 header bytes captured before it prints anything.
func (p *Printer) esp(b []byte, length int) {
	p.proto = "esp"
	if len(b) <= 8 {
		p.s(" [|esp]")
		return
	}
	p.s("ESP(spi=0x")
	p.hexw(uint64(binary.BigEndian.Uint32(b)), 8)
	p.s(",seq=0x")
	p.hex(uint64(binary.BigEndian.Uint32(b[4:])))
	p.s("), length ")
	p.i(length)
}

// ah prints an IPsec Authentication Header (RFC 4302) and returns its
// length, (payload length + 2) * 4, where the next header starts.
func (p *Printer) ah(b []byte) int {
	p.proto = "ah"
	p.s("AH")
	words := int(p.u8(b, 1))
	hlen := (words + 2) * 4
	p.c('(')
	if p.opts.Verbose > 0 {
		p.s("length=")
		p.i(words)
		p.c('(')
		p.i(hlen)
		p.s("-bytes),")
	}
	// Each field is read before its label is printed: a field cut short
	// ends the line without its label, as in tcpdump.
	if r := p.be16(b, 2); r != 0 {
		p.s("reserved=0x")
		p.hex(uint64(r))
		p.s("[MustBeZero],")
	}
	spi := p.be32(b, 4)
	p.s("spi=0x")
	p.hexw(uint64(spi), 8)
	p.c(',')
	seq := p.be32(b, 8)
	p.s("seq=0x")
	p.hex(uint64(seq))
	p.s(",icv=0x")
	for i := 12; i < hlen; i++ {
		p.hexw(uint64(p.u8(b, i)), 2)
	}
	p.s("): ")
	return hlen
}

// ipsecNATT is tcpdump's isakmp_rfc3948_print for UDP 4500 (RFC 3948): a
// one-byte NAT keepalive, IKE after a four-byte zero non-ESP marker, or
// ESP.
func (p *Printer) ipsecNATT(b []byte, length int, info ipInfo) {
	p.proto = "isakmp_rfc3948"
	if length == 1 && p.u8(b, 0) == 0xff {
		p.s("isakmp-nat-keep-alive")
		return
	}
	if length < 4 {
		p.s(" [|isakmp_rfc3948]")
		return
	}
	if p.be32(b, 0) == 0 {
		p.s("NONESP-encap: ")
		p.isakmp(b[4:], length-4, info)
		return
	}
	p.s("UDP-encap: ")
	p.esp(b, length)
}
