package decode

import "math"

// RESP, the Redis serialization protocol, as tcpdump's resp_print shows
// it: every item of the segment (pipelined commands too) as a quoted
// string. The parsers return the bytes they used, or -1 to end with
// " [|resp]" when an item runs past the TCP length or the capture; only an
// item type, a length field or an inline command past the capture ends
// the packet at once (a longjmp in tcpdump, so -x dumps all of it).

// respByte is a byte read with tcpdump's GET_U_1.
func (p *Printer) respByte(b []byte, off int) byte { return p.u8(b, off) }

const respTrunc = -1

// resp is resp_print.
func (p *Printer) resp(b []byte, length int) {
	p.proto = "resp"
	if length <= 0 {
		return
	}
	p.s(": RESP")
	for cur := length; cur > 0; {
		n := p.respParse(b, cur)
		if n < 0 {
			p.s(" [|resp]")
			return
		}
		b = b[min(n, len(b)):]
		cur -= n
	}
}

func (p *Printer) respParse(b []byte, length int) int {
	if length < 1 {
		return respTrunc
	}
	switch p.respByte(b, 0) {
	case '+', ':', '-':
		return p.respLine(b, length)
	case '$':
		return p.respBulk(b, length)
	case '*':
		return p.respArray(b, length)
	}
	return p.respInline(b, length)
}

// respSegment prints ` "TEXT"` with tcpdump's escapes.
func (p *Printer) respSegment(b []byte) {
	p.s(` "`)
	p.printn(b)
	p.c('"')
}

// respFindCRLF is FIND_CRLF: the offset of the next CR LF from off.
func (p *Printer) respFindCRLF(b []byte, off, cur int) (int, int, bool) {
	for {
		if cur < 2 || len(b) < off+2 {
			return off, cur, false
		}
		if b[off] == '\r' && b[off+1] == '\n' {
			return off, cur, true
		}
		off++
		cur--
	}
}

// respLine is a simple string, error or integer: the text up to CR LF.
func (p *Printer) respLine(b []byte, length int) int {
	end, _, ok := p.respFindCRLF(b, 1, length-1)
	if !ok {
		return respTrunc
	}
	p.respSegment(b[1:end])
	return 1 + (end - 1) + 2
}

// respLength is resp_get_length: the decimal after '$' or '*' and its
// CR LF. It returns the length or -1 null, -2 truncated, -3 too large,
// -4 negative, -5 invalid, and where parsing stopped.
func (p *Printer) respLength(b []byte, off, cur int) (int, int) {
	if cur == 0 {
		return -2, off
	}
	neg := false
	if p.respByte(b, off) == '-' {
		neg = true
		off++
		cur--
	}
	result, sawDigit, tooLarge := 0, false, false
	for {
		if cur == 0 {
			return -2, off
		}
		c := p.respByte(b, off)
		if c < '0' || c > '9' {
			if !sawDigit {
				return -5, off + 1
			}
			break
		}
		d := int(c - '0')
		if result > math.MaxInt32/10 {
			tooLarge = true
		} else {
			result *= 10
			if result == (math.MaxInt32/10)*10 && d > math.MaxInt32%10 {
				tooLarge = true
			} else {
				result += d
			}
		}
		off++
		cur--
		sawDigit = true
	}
	if b[off] != '\r' {
		return -5, off + 1
	}
	off++
	cur--
	if cur == 0 {
		return -2, off
	}
	if p.respByte(b, off) != '\n' {
		return -5, off + 1
	}
	off++
	if neg {
		if tooLarge || result != 1 {
			return -4, off
		}
		return -1, off
	}
	if tooLarge {
		return -3, off
	}
	return result, off
}

// respBad prints what a negative length means; false is truncation.
func (p *Printer) respBad(n int) bool {
	switch n {
	case -1:
		p.s(" null")
	case -2:
		return false
	case -3:
		p.s(" length too large")
	case -4:
		p.s(" length negative and not -1")
	default:
		p.s(" invalid")
	}
	return true
}

func (p *Printer) respBulk(b []byte, length int) int {
	n, off := p.respLength(b, 1, length-1)
	cur := length - off
	if n < 0 {
		if !p.respBad(n) {
			return respTrunc
		}
		return length - cur
	}
	if n == 0 {
		p.s(" empty")
	} else {
		if cur < n || len(b) < off+n {
			return respTrunc
		}
		p.respSegment(b[off : off+n])
		off += n
		cur -= n
	}
	off, cur, ok := p.respFindCRLF(b, off, cur)
	if !ok {
		return respTrunc
	}
	return length - (cur - 2)
}

func (p *Printer) respArray(b []byte, length int) int {
	n, off := p.respLength(b, 1, length-1)
	// An unsigned count in tcpdump: items may use more than the segment
	// holds, and it wraps.
	cur := uint32(length - off)
	if n <= 0 {
		if n == 0 {
			p.s(" empty")
		} else if !p.respBad(n) {
			return respTrunc
		}
		return int(int32(uint32(length) - cur))
	}
	for i := 0; i < n; i++ {
		used := p.respParse(b[min(off, len(b)):], int(int32(cur)))
		if used < 0 {
			return respTrunc
		}
		off += used
		cur -= uint32(used)
	}
	return int(int32(uint32(length) - cur))
}

// respConsumeCRLF is CONSUME_CR_OR_LF: past every CR and LF at off; false
// when the data (length or capture) ends before any was seen.
func respConsumeCRLF(b []byte, off, cur int) (int, int, bool) {
	found := false
	for {
		if cur == 0 || len(b) <= off {
			return off, cur, found
		}
		if b[off] != '\r' && b[off] != '\n' {
			return off, cur, true
		}
		found = true
		off++
		cur--
	}
}

// respInline is an inline command: text ended by CR, LF or both.
func (p *Printer) respInline(b []byte, length int) int {
	off, cur, ok := respConsumeCRLF(b, 0, length)
	if !ok {
		return respTrunc
	}
	end := off
	for {
		if cur < 1 {
			return respTrunc
		}
		if c := p.respByte(b, end); c == '\r' || c == '\n' {
			break
		}
		end++
		cur--
	}
	p.respSegment(b[off:end])
	_, cur, ok = respConsumeCRLF(b, end, cur)
	if !ok {
		return respTrunc
	}
	return length - cur
}
