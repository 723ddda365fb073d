package decode

// TFTP (RFC 1350/2347, port 69) as tcpdump 4.99's tftp_print prints it.

var tftpOps = []string{1: "RRQ", 2: "WRQ", 3: "DATA", 4: "ACK", 5: "ERROR", 6: "OACK"}

var tftpErrors = []string{"EUNDEF", "ENOTFOUND", "EACCESS", "ENOSPACE", "EBADOP", "EBADID",
	"EEXISTS", "ENOUSER"}

func (p *Printer) tftp(b []byte, length int) {
	p.proto = "tftp"
	p.s("TFTP, length ")
	p.i(length)
	trunc := func() { p.tcheck(nil, 1) }
	if length < 2 {
		trunc()
	}
	op := p.be16(b, 0)
	if int(op) >= len(tftpOps) || tftpOps[op] == "" {
		p.s(", tftp-#")
		p.u(uint64(op))
		return
	}
	p.s(", ")
	p.s(tftpOps[op])
	b = b[2:]
	length -= 2
	// str prints a NUL-terminated string within length and returns the
	// bytes it used, or ends the line when there is no NUL.
	str := func(quoted bool) {
		if quoted {
			p.c('"')
		}
		ok := p.printztn(b, length)
		if quoted {
			p.c('"')
		}
		if !ok {
			trunc()
		}
		n := 0
		for b[n] != 0 {
			n++
		}
		b = b[n+1:]
		length -= n + 1
	}
	options := func() {
		for length != 0 {
			if p.u8(b, 0) != 0 {
				p.c(' ')
			}
			str(false)
		}
	}
	switch op {
	case 1, 2:
		if length == 0 {
			trunc()
		}
		p.c(' ')
		str(true)
		if length == 0 {
			trunc()
		}
		p.c(' ')
		str(false)
		options()
	case 6:
		options()
	case 3, 4:
		if length < 2 {
			trunc()
		}
		blk := p.be16(b, 0)
		p.s(" block ")
		p.u(uint64(blk))
	case 5:
		if length < 2 {
			trunc()
		}
		code := p.be16(b, 0)
		p.c(' ')
		if int(code) < len(tftpErrors) {
			p.s(tftpErrors[code])
		} else {
			p.s("tftp-err-#")
			p.u(uint64(code))
			p.s(" \"")
		}
		b = b[2:]
		length -= 2
		if length == 0 {
			trunc()
		}
		p.c(' ')
		str(true)
	}
}
