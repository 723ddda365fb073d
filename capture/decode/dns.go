package decode

import "encoding/binary"

var dnsTypes = map[uint16]string{
	1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR",
	10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT",
	17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP_PTR",
	24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA", 29: "LOC", 30: "NXT", 31: "EID",
	32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6",
	39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY",
	46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID",
	103: "UNSPEC", 104: "UNSPECA", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR",
	253: "MAILB", 254: "MAILA", 255: "ANY", 256: "URI",
}

var dnsClasses = map[uint16]string{1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY"}

var dnsOps = []string{"", " inv_q", " stat", " op3", " notify", " update", " op6", " op7",
	" op8", " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef"}

var dnsRcodes = []string{"", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused",
	" YXDomain", " YXRRSet", " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12",
	" Resp13", " Resp14", " NoChange", " BadVers", "Resp17", " Resp18", " Resp19", " Resp20",
	"Resp21", " Resp22", " BadCookie"}

func (p *Printer) dnsType(t uint16) {
	if n, ok := dnsTypes[t]; ok {
		p.s(n)
		return
	}
	p.s("Type")
	p.u(uint64(t))
}

func (p *Printer) dnsClass(c uint16) {
	if n, ok := dnsClasses[c]; ok {
		p.s(n)
		return
	}
	p.s("(Class ")
	p.u(uint64(c))
	p.c(')')
}

// dns is tcpdump's domain_print. msg starts at the DNS header; offsets into
// it stand for tcpdump's pointers, len(msg) for its snapend.
func (p *Printer) dns(b []byte, length int, overTCP, mdns bool) {
	p.proto = "domain"
	if overTCP {
		if length < 2 {
			p.s(" [DNS over TCP: length ")
			p.i(length)
			p.s(" < 2] (invalid)")
			return
		}
		length -= 2
		if pl := int(p.be16(b, 0)); pl != length {
			p.s(" [prefix length(")
			p.i(pl)
			p.s(") != length(")
			p.i(length)
			p.s(")] (invalid)")
			return
		}
		b = b[2:]
		p.c(' ')
	}
	if length < 12 {
		p.s("domain [length ")
		p.i(length)
		p.s(" < 12] (invalid)")
		return
	}
	p.tcheck(b, 12)
	m := b
	end := len(m)
	flags := binary.BigEndian.Uint16(m[2:])
	qd := int(binary.BigEndian.Uint16(m[4:]))
	an := int(binary.BigEndian.Uint16(m[6:]))
	ns := int(binary.BigEndian.Uint16(m[8:]))
	ar := int(binary.BigEndian.Uint16(m[10:]))
	rcode := int(flags & 0xf)

	// Find the OPT record for the extended rcode.
	func() {
		cp := 12
		for i := 0; i < qd; i++ {
			if cp = p.nskip(m, cp); cp < 0 {
				return
			}
			cp += 4
			if cp >= end {
				return
			}
		}
		for i := 0; i < an+ns; i++ {
			if cp = p.nskip(m, cp); cp < 0 {
				return
			}
			cp += 8
			if cp+2 > end {
				return
			}
			cp += 2 + int(binary.BigEndian.Uint16(m[cp:]))
			if cp >= end {
				return
			}
		}
		for i := 0; i < ar; i++ {
			if cp = p.nskip(m, cp); cp < 0 {
				return
			}
			if cp+2 > end {
				return
			}
			typ := binary.BigEndian.Uint16(m[cp:])
			cp += 4
			if cp+1 > end {
				return
			}
			if typ == 41 {
				rcode |= int(m[cp]) << 4
				return
			}
			cp += 4
			if cp+2 > end {
				return
			}
			cp += 2 + int(binary.BigEndian.Uint16(m[cp:]))
			if cp >= end {
				return
			}
		}
	}()
	trunc := func() { p.tcheck(nil, 1) }
	id := binary.BigEndian.Uint16(m)
	op := (flags >> 11) & 0xf
	vv := p.opts.Verbose > 1
	records := func(cp int, n int, prefix string) int {
		if cp < end && n > 0 {
			p.s(prefix)
			if cp = p.rprint(m, cp, mdns); cp < 0 {
				trunc()
			}
			n--
			for cp < end && n > 0 {
				p.c(',')
				if cp = p.rprint(m, cp, mdns); cp < 0 {
					trunc()
				}
				n--
			}
		}
		if n > 0 {
			trunc()
		}
		return cp
	}
	if flags&0x8000 != 0 {
		p.u(uint64(id))
		p.s(dnsOps[op])
		if rcode < len(dnsRcodes) {
			p.s(dnsRcodes[rcode])
		} else {
			p.s(" Resp")
			p.i(rcode & 0xfff)
		}
		if flags&0x0400 != 0 {
			p.c('*')
		}
		if flags&0x0080 == 0 {
			p.c('-')
		}
		if flags&0x0200 != 0 {
			p.c('|')
		}
		if flags&0x0020 != 0 {
			p.c('$')
		}
		if qd != 1 {
			p.s(" [")
			p.i(qd)
			p.s("q]")
		}
		cp := 12
		for i := 0; i < qd; i++ {
			if i != 0 {
				p.c(',')
			}
			if vv {
				p.s(" q:")
				if cp = p.qprint(m, cp, mdns); cp < 0 {
					trunc()
				}
			} else {
				if cp = p.nskip(m, cp); cp < 0 {
					trunc()
				}
				cp += 4
			}
		}
		p.c(' ')
		p.i(an)
		p.c('/')
		p.i(ns)
		p.c('/')
		p.i(ar)
		if an > 0 {
			if cp = p.rprint(m, cp, mdns); cp < 0 {
				trunc()
			}
			an--
			for cp < end && an > 0 {
				p.c(',')
				if cp = p.rprint(m, cp, mdns); cp < 0 {
					trunc()
				}
				an--
			}
		}
		if an > 0 {
			trunc()
		}
		if vv {
			cp = records(cp, ns, " ns:")
			records(cp, ar, " ar:")
		}
	} else {
		p.u(uint64(id))
		p.s(dnsOps[op])
		if flags&0x0100 != 0 {
			p.c('+')
		}
		if flags&0x0010 != 0 {
			p.c('%')
		}
		if flags&0x6cf != 0 {
			p.s(" [b2&3=0x")
			p.hex(uint64(flags))
			p.c(']')
		}
		if op == 1 {
			if qd > 0 {
				p.s(" [")
				p.i(qd)
				p.s("q]")
			}
			if an != 1 {
				p.s(" [")
				p.i(an)
				p.s("a]")
			}
		} else {
			if an > 0 {
				p.s(" [")
				p.i(an)
				p.s("a]")
			}
			if qd != 1 {
				p.s(" [")
				p.i(qd)
				p.s("q]")
			}
		}
		if ns > 0 {
			p.s(" [")
			p.i(ns)
			p.s("n]")
		}
		if ar > 0 {
			p.s(" [")
			p.i(ar)
			p.s("au]")
		}
		cp := 12
		if qd > 0 {
			if cp = p.qprint(m, cp, mdns); cp < 0 {
				trunc()
			}
			qd--
			for cp < end && qd > 0 {
				if cp = p.qprint(m, cp, mdns); cp < 0 {
					trunc()
				}
				qd--
			}
		}
		if qd > 0 {
			trunc()
		}
		if vv {
			if an > 0 {
				if cp = p.rprint(m, cp, mdns); cp < 0 {
					trunc()
				}
				an--
				for cp < end && an > 0 {
					p.c(',')
					if cp = p.rprint(m, cp, mdns); cp < 0 {
						trunc()
					}
					an--
				}
			}
			if an > 0 {
				trunc()
			}
			cp = records(cp, ns, " ns:")
			records(cp, ar, " ar:")
		}
	}
	p.s(" (")
	p.i(length)
	p.c(')')
}

// nskip skips a name; -1 when it runs off the captured data.
func (p *Printer) nskip(m []byte, cp int) int {
	if cp < 0 || cp >= len(m) {
		return -1
	}
	i := m[cp]
	cp++
	for i != 0 {
		switch i & 0xc0 {
		case 0xc0:
			return cp + 1
		case 0x40:
			if i&0x3f != 0x01 {
				return -1
			}
			if cp >= len(m) {
				return -1
			}
			bitlen := int(m[cp])
			if bitlen == 0 {
				bitlen = 256
			}
			cp += (bitlen+7)/8 + 1
		case 0x80:
			// A reserved label type ends the name unread, as in tcpdump.
			return -1
		default:
			cp += int(i)
		}
		if cp >= len(m) {
			return -1
		}
		i = m[cp]
		cp++
	}
	return cp
}

// labelLen is tcpdump's labellen.
func (p *Printer) labelLen(m []byte, cp int) int {
	if cp < 0 || cp >= len(m) {
		return -1
	}
	i := int(m[cp])
	switch i & 0xc0 {
	case 0x40:
		if elt := i & 0x3f; elt != 0x01 {
			p.s("<ELT ")
			p.i(elt)
			p.c('>')
			return -1
		}
		if cp+1 >= len(m) {
			return -1
		}
		bitlen := int(m[cp+1])
		if bitlen == 0 {
			bitlen = 256
		}
		return (bitlen+7)/8 + 1
	case 0xc0, 0x00:
		return i
	}
	p.s("<BAD LABEL TYPE>")
	return -1
}

// fqdn prints a possibly compressed name and returns the offset after it in
// the record, or -1.
func (p *Printer) fqdn(m []byte, cp int) int { return p.fqdnAt(m, cp, 0) }

// fqdnAt is fqdn with compression pointers counted from m[base], which
// DHCPv6 sets to the end of its option, as tcpdump's fqdn_print does.
func (p *Printer) fqdnAt(m []byte, cp, base int) int {
	l := p.labelLen(m, cp)
	if l < 0 {
		return -1
	}
	// An unsigned difference in tcpdump: a name before base accepts any
	// first pointer.
	maxOff := uint32(cp - base)
	i := int(m[cp])
	cp++
	rp := -1
	compress := false
	if i&0xc0 != 0xc0 {
		rp = cp + l
	}
	chars := 0
	if i == 0 {
		p.c('.')
		return rp
	}
	for i != 0 && cp < len(m) {
		switch i & 0xc0 {
		case 0xc0:
			if !compress {
				rp = cp + 1
				compress = true
			}
			if cp >= len(m) {
				return -1
			}
			off := (i<<8 | int(m[cp])) & 0x3fff
			if uint32(off) >= maxOff {
				p.s("<BAD PTR>")
				return -1
			}
			maxOff = uint32(off)
			cp = base + off
			if cp >= len(m) {
				return -1
			}
			i = int(m[cp])
			if l = p.labelLen(m, cp); l < 0 {
				return -1
			}
			cp++
			continue
		case 0x40:
			if i&0x3f != 1 {
				p.s("<ELT ")
				p.i(i & 0x3f)
				p.c('>')
				return -1
			}
			p.bitLabel(m, cp)
		case 0x80:
			p.s("<BAD LABEL TYPE>")
			return -1
		default:
			n := l
			if chars+l > 255 {
				n = max(0, 255-chars)
			}
			for k := 0; k < n; k++ {
				if cp+k >= len(m) {
					return -1
				}
				p.safeChar(m[cp+k])
			}
			chars += l
		}
		cp += l
		if chars <= 255 {
			p.c('.')
		}
		chars++
		if cp >= len(m) {
			return -1
		}
		i = int(m[cp])
		if l = p.labelLen(m, cp); l < 0 {
			return -1
		}
		cp++
		if !compress {
			rp += l + 1
		}
	}
	if chars > 255 {
		p.s("<DOMAIN NAME TOO LONG>")
	}
	return rp
}

func (p *Printer) qprint(m []byte, cp int, mdns bool) int {
	np := cp
	cp = p.nskip(m, cp)
	if cp < 0 || cp+4 > len(m) {
		return -1
	}
	p.c(' ')
	p.dnsType(binary.BigEndian.Uint16(m[cp:]))
	i := binary.BigEndian.Uint16(m[cp+2:])
	class := i
	if mdns {
		class &^= 0x8000
	}
	if class != 1 {
		p.c(' ')
		p.dnsClass(class)
	}
	if mdns {
		if i&0x8000 != 0 {
			p.s(" (QU)")
		} else {
			p.s(" (QM)")
		}
	}
	p.s("? ")
	r := p.fqdn(m, np)
	if r < 0 {
		return -1
	}
	return r + 4
}

var ednsOpts = map[uint16]string{1: "LLQ", 2: "UL", 3: "NSID", 5: "DAU", 6: "DHU", 7: "N3U", 8: "ECS", 9: "EXPIRE", 10: "COOKIE", 11: "KEEPALIVE", 12: "PADDING", 13: "CHAIN", 14: "KEY-TAG", 16: "CLIENT-TAG", 17: "SERVER-TAG"}

// DNSSEC algorithm, DS digest and NSEC3 hash names of the DAU, DHU and
// N3U options (RFC 6975), as tcpdump 4.99 spells them (3 is its "DS").
var (
	dnsSecAlgs   = map[byte]string{0: "DELETE", 1: "RSAMD5", 2: "DH", 3: "DS", 5: "RSASHA1", 6: "DSA-NSEC3-SHA1", 7: "RSASHA1-NSEC3-SHA1", 8: "RSASHA256", 10: "RSASHA512", 12: "ECC-GOST", 13: "ECDSAP256SHA256", 14: "ECDSAP384SHA384", 15: "ED25519", 16: "ED448", 252: "INDIRECT", 253: "PRIVATEDNS", 254: "PRIVATEOID"}
	dnsDSDigests = map[byte]string{1: "SHA-1", 2: "SHA-256", 3: "GOST_R_34.11-94", 4: "SHA-384"}
	dnsNSEC3Hash = map[byte]string{1: "SHA-1"}
)

func (p *Printer) rprint(m []byte, cp int, mdns bool) int {
	end := len(m)
	if p.opts.Verbose > 0 {
		p.c(' ')
		if cp = p.fqdn(m, cp); cp < 0 {
			return -1
		}
	} else {
		cp = p.nskip(m, cp)
	}
	if cp < 0 || cp+10 > end {
		return end
	}
	typ := binary.BigEndian.Uint16(m[cp:])
	i := binary.BigEndian.Uint16(m[cp+2:])
	cp += 4
	class := i
	if mdns {
		class &^= 0x8000
	}
	if class != 1 && typ != 41 {
		p.c(' ')
		p.dnsClass(class)
	}
	if mdns && i&0x8000 != 0 {
		p.s(" (Cache flush)")
	}
	var optFlags uint16
	if typ == 41 {
		optFlags = binary.BigEndian.Uint16(m[cp+2:])
		cp += 4
	} else if p.opts.Verbose > 2 {
		p.s(" [")
		p.relTime(binary.BigEndian.Uint32(m[cp:]))
		p.c(']')
		cp += 4
	} else {
		cp += 4
	}
	rdlen := int(binary.BigEndian.Uint16(m[cp:]))
	cp += 2
	rp := cp + rdlen
	p.c(' ')
	p.dnsType(typ)
	if rp > end {
		return -1
	}
	switch typ {
	case 1:
		if cp+4 > end {
			return -1
		}
		p.c(' ')
		p.ip4(m[cp:])
	case 2, 5, 12, 39:
		p.c(' ')
		if p.fqdn(m, cp) < 0 {
			return -1
		}
	case 6:
		if p.opts.Verbose == 0 {
			break
		}
		p.c(' ')
		if cp = p.fqdn(m, cp); cp < 0 {
			return -1
		}
		p.c(' ')
		if cp = p.fqdn(m, cp); cp < 0 {
			return -1
		}
		if cp+20 > end {
			return -1
		}
		for k := 0; k < 5; k++ {
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint32(m[cp+4*k:])))
		}
	case 15:
		p.c(' ')
		if cp+2 > end {
			return -1
		}
		if p.fqdn(m, cp+2) < 0 {
			return -1
		}
		p.c(' ')
		p.u(uint64(binary.BigEndian.Uint16(m[cp:])))
	case 16:
		for cp < rp {
			p.s(" \"")
			if cp >= end {
				return -1
			}
			n := int(m[cp])
			cp++
			for k := 0; k < n; k++ {
				if cp+k >= end {
					return -1
				}
				p.safeChar(m[cp+k])
			}
			cp += n
			p.c('"')
		}
	case 33:
		p.c(' ')
		if cp+6 > end {
			return -1
		}
		if p.fqdn(m, cp+6) < 0 {
			return -1
		}
		p.c(':')
		p.u(uint64(binary.BigEndian.Uint16(m[cp+4:])))
		p.c(' ')
		p.u(uint64(binary.BigEndian.Uint16(m[cp:])))
		p.c(' ')
		p.u(uint64(binary.BigEndian.Uint16(m[cp+2:])))
	case 28:
		if cp+16 > end {
			return -1
		}
		p.c(' ')
		p.addr6(m[cp:])
	case 38: // A6: a prefix length, the address bits after it, a prefix name
		if cp >= end {
			return -1
		}
		pbit := int(m[cp])
		pbyte := (pbit &^ 7) / 8
		if pbit > 128 {
			p.c(' ')
			p.i(pbit)
			p.s("(bad plen)")
			break
		}
		if pbit < 128 {
			if cp+1+16-pbyte > end {
				return -1
			}
			var a [16]byte
			copy(a[pbyte:], m[cp+1:cp+1+16-pbyte])
			p.c(' ')
			p.i(pbit)
			p.c(' ')
			p.addr6(a[:])
		}
		if pbit > 0 {
			p.c(' ')
			if p.fqdn(m, cp+1+16-pbyte) < 0 {
				return -1
			}
		}
	case 256: // URI: priority, weight, target
		p.need(m[cp:], 4) // read even past a short record, as tcpdump does
		p.c(' ')
		p.u(uint64(binary.BigEndian.Uint16(m[cp:])))
		p.c(' ')
		p.u(uint64(binary.BigEndian.Uint16(m[cp+2:])))
		p.c(' ')
		if rdlen < 4 {
			// tcpdump's length wraps: it prints to the end of the capture.
			for k := cp + 4; k < end; k++ {
				p.safeChar(m[k])
			}
			return -1
		}
		for k := cp + 4; k < rp; k++ {
			p.safeChar(m[k])
		}
	case 104: // UNSPECA: one long string
		for k := cp; k < rp; k++ {
			p.safeChar(m[k])
		}
	case 250: // TSIG: key name, fudge, MAC length, original ID, error, other length
		if p.opts.Verbose == 0 {
			break
		}
		p.c(' ')
		if cp = p.fqdn(m, cp); cp < 0 {
			return -1
		}
		cp += 6 // time signed
		u16 := func(label string) bool {
			if cp+2 > end {
				return false
			}
			p.s(label)
			p.u(uint64(binary.BigEndian.Uint16(m[cp:])))
			cp += 2
			return true
		}
		if !u16(" fudge=") || !u16(" maclen=") {
			return -1
		}
		cp += int(binary.BigEndian.Uint16(m[cp-2:]))
		if !u16(" origid=") || !u16(" error=") || !u16(" otherlen=") {
			return -1
		}
	case 41:
		p.s(" UDPsize=")
		p.u(uint64(class))
		if optFlags&0x8000 != 0 {
			p.s(" DO")
		}
		if cp < rp {
			p.s(" [")
			for cp < rp {
				if cp = p.eopt(m, cp); cp < 0 {
					return -1
				}
				if cp < rp {
					p.c(',')
				}
			}
			p.c(']')
		}
	}
	return rp
}

// eopt prints one EDNS option the short way tcpdump does for unknown data.
func (p *Printer) eopt(m []byte, cp int) int {
	if cp+2 > len(m) {
		return -1
	}
	code := binary.BigEndian.Uint16(m[cp:])
	if n, ok := ednsOpts[code]; ok {
		p.s(n)
	} else {
		p.s("Opt")
		p.u(uint64(code))
	}
	// tcpdump names the option before it tests for the length.
	if cp+4 > len(m) {
		return -1
	}
	l := int(binary.BigEndian.Uint16(m[cp+2:]))
	cp += 4
	if cp+l > len(m) {
		return -1
	}
	data := m[cp : cp+l]
	if l == 0 {
		return cp
	}
	p.c(' ')
	invalid := func() { p.s(" (invalid)") }
	names := func(tab map[byte]string) {
		for i, c := range data {
			if i > 0 {
				p.c(' ')
			}
			if n, ok := tab[c]; ok {
				p.s(n)
			} else {
				p.s("Alg_")
				p.u(uint64(c))
			}
		}
	}
	switch code {
	case 8: // ECS
		p.ecs(data)
	case 10: // COOKIE: the client's 8 bytes, then the server's
		if l < 8 || (l > 8 && l < 16) || l > 40 {
			invalid()
			break
		}
		for i, c := range data {
			if i == 8 {
				p.c(' ')
			}
			p.hexw(uint64(c), 2)
		}
	case 11: // KEEPALIVE, in units of 100 ms
		if l != 2 {
			invalid()
			break
		}
		v := binary.BigEndian.Uint16(data)
		p.u(uint64(v / 10))
		p.c('.')
		p.u(uint64(v % 10))
		p.s(" sec")
	case 9: // EXPIRE
		if l != 4 {
			invalid()
			break
		}
		p.u(uint64(binary.BigEndian.Uint32(data)))
		p.s(" sec")
	case 12: // PADDING: its length only
		p.c('(')
		p.i(l)
		p.c(')')
	case 14: // KEY-TAG
		if l%2 != 0 {
			invalid()
			break
		}
		for i := 0; i < l; i += 2 {
			if i > 0 {
				p.c(' ')
			}
			p.u(uint64(binary.BigEndian.Uint16(data[i:])))
		}
	case 5: // DAU
		names(dnsSecAlgs)
	case 6: // DHU
		names(dnsDSDigests)
	case 7: // N3U
		names(dnsNSEC3Hash)
	default: // NSID and the rest: the bytes in hex
		for _, c := range data {
			p.hexw(uint64(c), 2)
		}
	}
	return cp + l
}

// ecs prints an EDNS client subnet: family, source and scope prefix
// lengths and the address cut to the source length (RFC 7871).
func (p *Printer) ecs(d []byte) {
	if len(d) < 4 {
		p.s(" (invalid)")
		return
	}
	fam, src, scope := binary.BigEndian.Uint16(d), int(d[2]), int(d[3])
	bits := 0
	switch fam {
	case 1:
		bits = 32
	case 2:
		bits = 128
	}
	if bits == 0 || len(d)-4 > bits/8 || src > bits || scope > bits || (src+7)/8 != len(d)-4 {
		p.s(" (invalid)")
		return
	}
	var a [16]byte
	copy(a[:], d[4:])
	if fam == 1 {
		p.ip4(a[:4])
	} else {
		p.addr6(a[:])
	}
	p.c('/')
	p.i(src)
	p.c('/')
	p.i(scope)
}

// bitLabel is blabel_print: an RFC 2673 bit-string label as \[xHEX/BITS].
func (p *Printer) bitLabel(m []byte, cp int) {
	bitlen := int(p.u8(m, cp))
	if bitlen == 0 {
		bitlen = 256
	}
	lim := cp + 1 + (bitlen+3)/4
	p.s("\\[x")
	bp, b := cp+1, bitlen
	for ; bp < lim && b > 7; b, bp = b-8, bp+1 {
		p.hexw(uint64(p.u8(m, bp)), 2)
	}
	if b > 4 {
		tc := p.u8(m, bp)
		p.hexw(uint64(tc&(0xff<<(8-b))), 2)
	} else if b > 0 {
		tc := p.u8(m, bp)
		p.hexw(uint64((tc>>4)&0x0f&(0x0f<<(4-b))), 1)
	}
	p.c('/')
	p.i(bitlen)
	p.c(']')
}
