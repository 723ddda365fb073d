package decode

// dump appends the -x/-xx/-X/-XX dump of the packet.
func (p *Printer) dump(data []byte, hdrlen int) {
	switch {
	case p.opts.ASCII > 1:
		p.hexASCII("\n\t", data, 0)
	case p.opts.ASCII == 1:
		if len(data) > hdrlen {
			p.hexASCII("\n\t", data[hdrlen:], 0)
		}
	case p.opts.Hex > 1:
		p.hexOnly("\n\t", data)
	case p.opts.Hex == 1:
		if len(data) > hdrlen {
			p.hexOnly("\n\t", data[hdrlen:])
		}
	case p.opts.Text > 1:
		p.text(data)
	case p.opts.Text == 1:
		if len(data) > hdrlen {
			p.text(data[hdrlen:])
		}
	}
}

// text is tcpdump's ascii_print (-A): printable bytes, tabs, spaces and
// newlines as they are, anything else as '.'; a CR is dropped before a LF
// and near the end, as tcpdump does.
func (p *Printer) text(b []byte) {
	p.c('\n')
	for i, c := range b {
		switch {
		case c == '\r':
			if left := len(b) - i - 1; left > 1 && b[i+1] != '\n' {
				p.c('.')
			}
		case c > 0x20 && c < 0x7f, c == '\t', c == ' ', c == '\n':
			p.c(c)
		default:
			p.c('.')
		}
	}
}

// hexOnly is tcpdump's hex_print: 16 bytes a line in 2-byte groups.
func (p *Printer) hexOnly(indent string, b []byte) { p.hexAt(indent, b, 0) }

// hexAt is hex_print_with_offset: the line labels count from offset.
func (p *Printer) hexAt(indent string, b []byte, offset int) {
	for i := 0; i < len(b); i += 2 {
		if i%16 == 0 {
			p.s(indent)
			p.s("0x")
			p.hex04(uint64(offset + i))
			p.s(": ")
		}
		p.c(' ')
		p.hexw(uint64(b[i]), 2)
		if i+1 < len(b) {
			p.hexw(uint64(b[i+1]), 2)
		}
	}
}

// hexASCII is tcpdump's hex_and_ascii_print.
func (p *Printer) hexASCII(indent string, b []byte, offset int) {
	for i := 0; i < len(b); i += 16 {
		line := b[i:min(i+16, len(b))]
		p.s(indent)
		p.s("0x")
		p.hex04(uint64(offset + i))
		p.s(": ")
		w := 0
		for j := 0; j < len(line); j += 2 {
			p.c(' ')
			p.hexw(uint64(line[j]), 2)
			w += 3
			if j+1 < len(line) {
				p.hexw(uint64(line[j+1]), 2)
				w += 2
			}
		}
		for ; w < 40; w++ {
			p.c(' ')
		}
		p.s("  ")
		for _, c := range line {
			if c > 0x20 && c < 0x7f {
				p.c(c)
			} else {
				p.c('.')
			}
		}
	}
}

// hex04 is printf's %04x: offsets past 0xffff (big TCP) take more digits.
func (p *Printer) hex04(v uint64) {
	if v > 0xffff {
		p.hex(v)
		return
	}
	p.hexw(v, 4)
}
