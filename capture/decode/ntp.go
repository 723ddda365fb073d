package decode

import (
	"encoding/binary"
	"time"
)

// NTP (RFC 5905, UDP port 123) as tcpdump 4.99's ntp_print prints it: the
// version and mode, and with -v the time fields or the control message
// (mode 6) header. Mode 7 (ntpdc's private requests) shows the header only,
// as in tcpdump.

var ntpModes = []string{"unspecified", "symmetric active", "symmetric passive", "Client",
	"Server", "Broadcast", "Control Message", "Reserved"}

// ntpLeap names the leap indicator bits in place (not shifted), as tcpdump
// prints them.
var ntpLeap = map[uint8]string{0: "", 0x40: "+1s", 0x80: "-1s", 0xc0: "clock unsynchronized"}

const ntpTimeLen = 48 // header without key ID and digest

func (p *Printer) ntp(b []byte, length int) {
	p.proto = "ntp"
	status := p.u8(b, 0)
	p.s("NTPv")
	p.u(uint64(status >> 3 & 7))
	mode := status & 7
	p.s(", ")
	p.s(ntpModes[mode])
	p.s(", length ")
	p.i(length)
	if p.opts.Verbose == 0 {
		return
	}
	leap := status & 0xc0
	p.s("\n\tLeap indicator: ")
	p.s(ntpLeap[leap])
	p.s(" (")
	p.u(uint64(leap))
	p.c(')')
	switch {
	case mode <= 5:
		p.ntpTime(b, length)
	case mode == 6:
		p.ntpControl(b, length)
	}
}

// ntpInvalid is tcpdump's nd_print_invalid followed by a check that the
// whole message was captured.
func (p *Printer) ntpInvalid(b []byte, length int) {
	p.s(" (invalid)")
	p.tcheck(b, length)
}

func (p *Printer) ntpTime(b []byte, length int) {
	if length < ntpTimeLen {
		p.ntpInvalid(b, length)
		return
	}
	stratum := p.u8(b, 1)
	p.s(", Stratum ")
	p.u(uint64(stratum))
	switch {
	case stratum == 0:
		p.s(" (unspecified)")
	case stratum == 1:
		p.s(" (primary reference)")
	case stratum <= 15:
		p.s(" (secondary reference)")
	default:
		p.s(" (reserved)")
	}
	poll := int(int8(p.u8(b, 2)))
	p.s(", poll ")
	p.i(poll)
	switch {
	case poll <= -32 || poll >= 32:
	case poll >= 0:
		p.s(" (")
		p.u(1 << poll)
		p.s("s)")
	default:
		p.s(" (1/")
		p.u(1 << -poll)
		p.s("s)")
	}
	prec := int(int8(p.u8(b, 3)))
	p.s(", precision ")
	p.i(prec)
	p.tcheck(b, 8)
	p.s("\n\tRoot Delay: ")
	p.ntpSfix(b[4:])
	p.tcheck(b, 12)
	p.s(", Root dispersion: ")
	p.ntpSfix(b[8:])
	p.tcheck(b, 16)
	p.s(", Reference-ID: ")
	switch stratum {
	case 0:
		p.s("(unspec)")
	case 1:
		p.printn(b[12:16])
	case 62, 63:
		p.ip4(b[12:])
		if stratum == 62 {
			p.s(" INFO_QUERY")
		} else {
			p.s(" INFO_REPLY")
		}
		return
	default:
		p.s("0x")
		p.hexw(uint64(binary.BigEndian.Uint32(b[12:])), 8)
	}
	for i, label := range []string{"\n\t  Reference Timestamp:  ", "\n\t  Originator Timestamp: ",
		"\n\t  Receive Timestamp:    ", "\n\t  Transmit Timestamp:   "} {
		off := 16 + 8*i
		p.tcheck(b, off+8)
		p.s(label)
		p.ntpTimestamp(b[off:])
	}
	p.s("\n\t    Originator - Receive Timestamp:  ")
	p.ntpDelta(b[24:], b[32:])
	p.s("\n\t    Originator - Transmit Timestamp: ")
	p.ntpDelta(b[24:], b[40:])
	switch length {
	case ntpTimeLen + 4:
		p.ntpKeyID(b)
	case ntpTimeLen + 4 + 16, ntpTimeLen + 4 + 20:
		p.ntpKeyID(b)
		n := (length - ntpTimeLen - 4) / 4
		p.tcheck(b, length)
		p.s("\n\tAuthentication: ")
		for i := 0; i < n; i++ {
			p.hexw(uint64(binary.BigEndian.Uint32(b[52+4*i:])), 8)
		}
	default:
		if length > ntpTimeLen {
			p.s("\n\t(")
			p.i(length - ntpTimeLen)
			p.s(" more bytes after the header)")
		}
	}
}

func (p *Printer) ntpKeyID(b []byte) {
	id := p.be32(b, 48)
	p.s("\n\tKey id: ")
	p.u(uint64(id))
}

// ntpSfix prints a 16.16 fixed-point value in microseconds' precision.
func (p *Printer) ntpSfix(b []byte) {
	p.u(uint64(binary.BigEndian.Uint16(b)))
	p.c('.')
	f := float64(binary.BigEndian.Uint16(b[2:])) / 65536.0
	p.out = appendPad(p.out, uint64(int(f*1000000.0)), 6)
}

// ntpFrac is the 32-bit fraction in nanoseconds, computed in floating
// point as tcpdump does (it truncates, so 0.5 ns steps differ from an
// integer conversion).
func ntpFrac(f uint32) uint64 {
	ff := float64(f) / 4294967296.0
	return uint64(uint32(ff * 1000000000.0))
}

// ntpTimestamp prints an NTP timestamp as seconds.nanoseconds and, when
// set, as a UTC date.
func (p *Printer) ntpTimestamp(b []byte) {
	sec := binary.BigEndian.Uint32(b)
	p.u(uint64(sec))
	p.c('.')
	p.out = appendPad(p.out, ntpFrac(binary.BigEndian.Uint32(b[4:])), 9)
	if sec != 0 {
		const jan1970 = 2208988800
		t := time.Unix(int64(sec)-jan1970, 0).UTC()
		p.s(" (")
		p.out = t.AppendFormat(p.out, "2006-01-02T15:04:05Z")
		p.c(')')
	}
}

// ntpDelta prints b minus the origin o, or b itself when o is zero.
func (p *Printer) ntpDelta(o, b []byte) {
	u, uf := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	ou, ouf := binary.BigEndian.Uint32(o), binary.BigEndian.Uint32(o[4:])
	if ou == 0 && ouf == 0 {
		p.ntpTimestamp(b)
		return
	}
	var i, f uint32
	neg := false
	switch {
	case u > ou:
		i, f = u-ou, uf-ouf
		if ouf > uf {
			i--
		}
	case u < ou:
		neg = true
		i, f = ou-u, ouf-uf
		if uf > ouf {
			i--
		}
	default:
		if uf > ouf {
			f = uf - ouf
		} else {
			neg = true
			f = ouf - uf
		}
	}
	if neg {
		p.c('-')
	} else {
		p.c('+')
	}
	p.u(uint64(i))
	p.c('.')
	p.out = appendPad(p.out, ntpFrac(f), 9)
}

func (p *Printer) ntpControl(b []byte, length int) {
	const minLen = 12
	if length < minLen {
		p.ntpInvalid(b, length)
		return
	}
	control := p.u8(b, 1)
	pick := func(bit uint8, yes, no string) string {
		if control&bit != 0 {
			return yes
		}
		return no
	}
	p.s(", ")
	p.s(pick(0x80, "Response", "Request"))
	p.s(", ")
	p.s(pick(0x40, "Error", "OK"))
	p.s(", ")
	p.s(pick(0x20, "More", "Last"))
	p.s(", OpCode=")
	p.u(uint64(control & 0x1f))
	p.c('\n')
	// Each field is read before its label is printed: a field cut short
	// ends the line without the label, as in tcpdump.
	seq := p.be16(b, 2)
	p.s("\tSequence=")
	p.u(uint64(seq))
	status := p.be16(b, 4)
	p.s(", Status=")
	if status != 0 {
		p.s("0x")
		p.hex(uint64(status))
	} else {
		p.c('0')
	}
	assoc := p.be16(b, 6)
	p.s(", Assoc.=")
	p.u(uint64(assoc))
	offset := p.be16(b, 8)
	p.s(", Offset=")
	p.u(uint64(offset))
	count := int(p.be16(b, 10))
	p.s(", Count=")
	p.i(count)
	if minLen+count > length {
		p.ntpInvalid(b, length)
		return
	}
	if count != 0 {
		p.tcheck(b, minLen+count)
		p.s("\n\tTO-BE-DONE: data not interpreted")
	}
}
