package decode

import (
	"encoding/binary"
	"strconv"
	"time"
)

// truncated is panicked by the bounds checks and recovered in Print, like
// tcpdump's longjmp out of a printer that ran past the captured bytes: the
// line ends with " [|PROTO]".
type truncated struct{}

// stopLine ends the line without adding anything: the printer already said
// why.
type stopLine struct{}

func (p *Printer) need(b []byte, n int) {
	if n < 0 || len(b) < n {
		panic(truncated{})
	}
}

func (p *Printer) u8(b []byte, off int) uint8 {
	p.need(b, off+1)
	return b[off]
}

func (p *Printer) be16(b []byte, off int) uint16 {
	p.need(b, off+2)
	return binary.BigEndian.Uint16(b[off:])
}

func (p *Printer) be32(b []byte, off int) uint32 {
	p.need(b, off+4)
	return binary.BigEndian.Uint32(b[off:])
}

func (p *Printer) s(s string)   { p.out = append(p.out, s...) }
func (p *Printer) c(c byte)     { p.out = append(p.out, c) }
func (p *Printer) u(v uint64)   { p.out = strconv.AppendUint(p.out, v, 10) }
func (p *Printer) i(v int)      { p.out = strconv.AppendInt(p.out, int64(v), 10) }
func (p *Printer) hex(v uint64) { p.out = strconv.AppendUint(p.out, v, 16) }
func (p *Printer) hexw(v uint64, w int) {
	const digits = "0123456789abcdef"
	for i := w - 1; i >= 0; i-- {
		p.out = append(p.out, digits[(v>>(4*uint(i)))&0xf])
	}
}

func (p *Printer) ip4(b []byte) {
	p.need(b, 4)
	for i := 0; i < 4; i++ {
		if i > 0 {
			p.c('.')
		}
		p.u(uint64(b[i]))
	}
}

// addr6 is tcpdump's addrtostr6, which differs from net/netip for
// IPv4-compatible addresses (::1.2.3.4).
func (p *Printer) addr6(b []byte) {
	p.need(b, 16)
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	bestBase, bestLen, curBase, curLen := -1, 0, -1, 0
	for i := 0; i < 8; i++ {
		if w[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
		} else if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				p.c(':')
			}
			continue
		}
		if i != 0 {
			p.c(':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			p.ip4(b[12:])
			return
		}
		p.hex(uint64(w[i]))
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		p.c(':')
	}
}

// mac is tcpdump's etheraddr_string: with -n the bare address, otherwise
// an /etc/ethers name, "Broadcast", or the address and its OUI's name.
func (p *Printer) mac(b []byte) {
	p.need(b, 6)
	if !p.opts.NumericHosts {
		if name := etherName([6]byte(b[:6])); name != "" {
			p.s(name)
			return
		}
	}
	for i := 0; i < 6; i++ {
		if i > 0 {
			p.c(':')
		}
		p.hexw(uint64(b[i]), 2)
	}
	if !p.opts.NumericHosts {
		p.s(" (oui ")
		if n, ok := ouiNames[uint32(b[0])<<16|uint32(b[1])<<8|uint32(b[2])]; ok {
			p.s(n)
		} else {
			p.s("Unknown")
		}
		p.c(')')
	}
}

// port prints a TCP or UDP port: a number with -nn, otherwise the
// /etc/services name when there is one.
func (p *Printer) port(proto string, port uint16) {
	// tcpdump 4.99's -n already prints port numbers.
	if !p.opts.NumericPorts && !p.opts.NumericHosts {
		if n := serviceName(proto, port); n != "" {
			p.s(n)
			return
		}
	}
	p.u(uint64(port))
}

// checksum is the Internet checksum (RFC 1071) of the pieces, folded.
func checksum(init uint32, pieces ...[]byte) uint16 {
	sum := init
	for _, b := range pieces {
		n := len(b)
		for i := 0; i+1 < n; i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if n%2 == 1 {
			sum += uint32(b[n-1]) << 8
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// shouldBe is tcpdump's in_cksum_shouldbe: the checksum field value that would
// have made the sum come out right.
func shouldBe(sum, computed uint16) uint16 {
	s := uint32(sum) + uint32(computed)
	s = (s & 0xffff) + (s >> 16)
	s = (s & 0xffff) + (s >> 16)
	return uint16(s)
}

// pseudo returns the initial sum of the IPv4/IPv6 pseudo-header.
func pseudoSum(src, dst []byte, proto uint8, length int) uint32 {
	var sum uint32
	for i := 0; i+1 < len(src); i += 2 {
		sum += uint32(src[i])<<8 | uint32(src[i+1])
		sum += uint32(dst[i])<<8 | uint32(dst[i+1])
	}
	sum += uint32(proto)
	sum += uint32(length>>16) + uint32(length&0xffff)
	return sum
}

func (p *Printer) timestamp(ts time.Time) {
	nano := p.opts.Nanosecond
	frac := func(t time.Duration) {
		if nano {
			p.out = appendPad(p.out, uint64(t%time.Second), 9)
		} else {
			p.out = appendPad(p.out, uint64(t%time.Second/time.Microsecond), 6)
		}
	}
	if !nano {
		ts = ts.Truncate(time.Microsecond)
	}
	switch p.opts.TimeFormat {
	case TimeNone:
		return
	case TimeEpoch:
		p.out = strconv.AppendInt(p.out, ts.Unix(), 10)
		p.c('.')
		frac(time.Duration(ts.Nanosecond()))
	case TimeDelta, TimeSinceFirst:
		if !p.started {
			p.first, p.prev, p.started = ts, ts, true
		}
		ref := p.prev
		if p.opts.TimeFormat == TimeSinceFirst {
			ref = p.first
		}
		d := ts.Sub(ref)
		p.prev = ts
		if d < 0 {
			p.c('-')
			d = -d
		} else {
			p.c(' ')
		}
		sec := int64(d / time.Second)
		p.out = appendPad(p.out, uint64(sec/3600%24), 2)
		p.c(':')
		p.out = appendPad(p.out, uint64(sec/60%60), 2)
		p.c(':')
		p.out = appendPad(p.out, uint64(sec%60), 2)
		p.c('.')
		frac(d)
	case TimeDate:
		t := ts.In(p.loc)
		p.out = t.AppendFormat(p.out, "2006-01-02 15:04:05")
		p.c('.')
		frac(time.Duration(t.Nanosecond()))
	default:
		t := ts.In(p.loc)
		p.out = t.AppendFormat(p.out, "15:04:05")
		p.c('.')
		frac(time.Duration(t.Nanosecond()))
	}
	p.c(' ')
}

func appendPad(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// buffered runs fn and, if it is cut short by a truncation, drops what fn
// printed: tcpdump formats some texts into a buffer before printing them.
func (p *Printer) buffered(fn func()) {
	save := len(p.out)
	defer func() {
		if r := recover(); r != nil {
			p.out = p.out[:save]
			if _, ok := r.(stopLine); ok {
				p.s(" [|")
				p.s(p.proto)
				p.c(']')
			}
			panic(r)
		}
	}()
	fn()
}

// tcheck is ND_TCHECK: when fewer than n bytes were captured it prints
// " [|proto]" and ends the line, without tcpdump's full -x dump.
func (p *Printer) tcheck(b []byte, n int) {
	if len(b) < n {
		p.s(" [|")
		p.s(p.proto)
		p.c(']')
		panic(stopLine{})
	}
}

// sub runs a nested printer; its "goto trunc" (stopLine) returns to the
// caller, which may print more, as in C.
func (p *Printer) sub(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopLine); !ok {
				panic(r)
			}
		}
	}()
	fn()
}
