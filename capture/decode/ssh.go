package decode

// ssh is tcpdump's ssh_print: the version banner (RFC 4253 section 4.2)
// when the segment starts with one, nothing otherwise.
func (p *Printer) ssh(b []byte, length int) {
	p.proto = "ssh"
	for i, c := range []byte("SSH-") {
		if p.u8(b, i) != c {
			return
		}
	}
	for i := 4; i < length; i++ {
		switch c := p.u8(b, i); {
		case c == '\n':
		case c == '\r':
			// Only CR LF ends the line; a CR alone, or the line running
			// past the segment, looks binary and is not printed.
			if i+1 >= length || p.u8(b, i+1) != '\n' {
				return
			}
		case c < 0x20 || c > 0x7e:
			return
		default:
			continue
		}
		p.s(": SSH: ")
		p.out = append(p.out, b[:i]...)
		return
	}
}
