package decode

// SNMP (RFC 1157/3416/3412, UDP ports 161 and 162) as tcpdump 4.99's
// snmp_print prints it without libsmi: BER elements decoded one at a time,
// object identifiers in numeric form.

const (
	beAny = iota
	beNull
	beOctet
	beOID
	beInt
	beUns
	beStr
	beSeq
	beInetAddr
	bePDU
	beUns64
	beNoSuchObject
	beNoSuchInst
	beEndOfMibView
)

var (
	asnUniversal = []string{"U-0", "Boolean", "Integer", "Bitstring", "String", "Null", "ObjID",
		"ObjectDes", "U-8", "U-9", "U-10", "U-11", "U-12", "U-13", "U-14", "U-15", "Sequence", "Set"}
	asnApplication = []string{"IpAddress", "Counter", "Gauge", "TimeTicks", "Opaque", "C-5", "Counter64"}
	asnContext     = []string{"GetRequest", "GetNextRequest", "GetResponse", "SetRequest", "Trap",
		"GetBulk", "Inform", "V2Trap", "Report"}
	asnExceptions = []string{"noSuchObject", "noSuchInstance", "endOfMibView"}
	// tcpdump names its classes with a macro that does not stringify: every
	// class prints as "x".
	asnClassIDs = [][]string{asnUniversal, asnApplication, asnContext, {"P-0"}}

	snmpErrors = []string{"noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr",
		"noAccess", "wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation",
		"inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed",
		"authorizationError", "notWritable", "inconsistentName"}
	snmpGenericTraps = []string{"coldStart", "warmStart", "linkDown", "linkUp",
		"authenticationFailure", "egpNeighborLoss", "enterpriseSpecific"}
	snmpVersions = []string{"SNMPv1", "SNMPv2c", "SNMPv2u", "SNMPv3"}
)

const (
	pduGet     = 0
	pduGetNext = 1
	pduSet     = 3
	pduTrap    = 4
	pduBulk    = 5
	pduInform  = 6
	pduV2Trap  = 7
	pduReport  = 8
)

// asnElem is one decoded BER element; data holds its contents.
type asnElem struct {
	typ     int
	id      int
	asnlen  int
	data    []byte
	integer int32
	uns     uint32
	uns64   uint64
}

// asn1Parse decodes the element at b, of which length bytes belong to the
// message, and returns it with the bytes it used, or -1 after printing why
// it cannot.
func (p *Printer) asn1Parse(b []byte, length int) (asnElem, int) {
	e := asnElem{typ: beAny}
	trunc := func() (asnElem, int) {
		p.s(" [|snmp]")
		return e, -1
	}
	if length < 1 {
		p.s("[nothing to parse]")
		return e, -1
	}
	// The tag and length octets are read unchecked (a truncation that
	// ends the line, with the whole packet in -x dumps); the long-form
	// length and the contents are checked first.
	id := int(p.u8(b, 0) & 0x1f)
	form := int(b[0]&0x20) >> 5
	class := int(b[0]) >> 6
	i, hdr := 1, 1
	length--
	if id == 0x1f {
		id = 0
		// tcpdump reads the tag octets without checking first: running
		// past the capture ends the line as a truncation.
		for p.u8(b, i)&0x80 != 0 {
			if length < 1 {
				p.s("[Xtagfield?]")
				return e, -1
			}
			id = int(uint8(id<<7) | b[i]&0x7f) // a u_char in tcpdump
			i++
			hdr++
			length--
		}
		if length < 1 {
			p.s("[Xtagfield?]")
			return e, -1
		}
		id = int(uint8(id<<7) | b[i])
		i++
		hdr++
		length--
	}
	e.id = id
	if length < 1 {
		p.s("[no asnlen]")
		return e, -1
	}
	asnlen := int(p.u8(b, i))
	i++
	hdr++
	length--
	if asnlen&0x80 != 0 {
		noct := asnlen % 0x80
		asnlen = 0
		if length < noct {
			p.s("[asnlen? ")
			p.i(length)
			p.c('<')
			p.i(noct)
			p.c(']')
			return e, -1
		}
		if len(b) < i+noct {
			return trunc()
		}
		for ; noct > 0; noct-- {
			asnlen = int(uint32(asnlen)<<8 | uint32(b[i]))
			i++
			hdr++
			length--
		}
	}
	e.asnlen = asnlen
	if length < asnlen {
		p.s("[len")
		p.i(length)
		p.s("<asnlen")
		p.u(uint64(uint32(asnlen)))
		p.c(']')
		return e, -1
	}
	if id >= len(asnClassIDs[class]) {
		p.s("[id?")
		p.c("PC"[form])
		p.s("/x/")
		p.i(id)
		p.c(']')
		return e, -1
	}
	if len(b) < i+asnlen {
		return trunc()
	}
	c := b[i : i+asnlen]
	e.data = c
	switch {
	case form == 0 && class == 0:
		switch id {
		case 4:
			e.typ = beStr
		case 2:
			e.typ = beInt
			if asnlen == 0 {
				p.s("[asnlen=0]")
				return e, -1
			}
			var v int32
			if len(c) > 0 && c[0]&0x80 != 0 {
				v = -1
			}
			for _, x := range c {
				v = v<<8 | int32(x)
			}
			e.integer = v
		case 6:
			e.typ = beOID
		case 5:
			e.typ = beNull
		default:
			e.typ = beOctet
			p.s("[P/U/")
			p.s(asnUniversal[id])
			p.c(']')
		}
	case form == 0 && class == 1:
		switch id {
		case 0:
			e.typ = beInetAddr
		case 1, 2, 3:
			e.typ = beUns
			var v uint32
			for _, x := range c {
				v = v<<8 + uint32(x)
			}
			e.uns = v
		case 6:
			e.typ = beUns64
			var v uint64
			for _, x := range c {
				v = v<<8 | uint64(x)
			}
			e.uns64 = v
		default:
			e.typ = beOctet
			p.s("[P/A/")
			p.s(asnApplication[id])
			p.c(']')
		}
	case form == 0 && class == 2:
		switch id {
		case 0:
			e.typ = beNoSuchObject
		case 1:
			e.typ = beNoSuchInst
		case 2:
			e.typ = beEndOfMibView
		}
	case form == 0:
		p.s("[P/x/")
		p.s(asnClassIDs[class][id])
		p.c(']')
		e.typ = beOctet
	case class == 0:
		if id == 16 {
			e.typ = beSeq
		} else {
			e.typ = beOctet
			p.s("C/U/")
			p.s(asnUniversal[id])
		}
	case class == 2:
		e.typ = bePDU
	default:
		e.typ = beOctet
		p.s("C/x/")
		p.s(asnClassIDs[class][id])
	}
	return e, asnlen + hdr
}

// asn1Print prints a decoded element's value.
func (p *Printer) asn1Print(e asnElem) {
	c := e.data
	switch e.typ {
	case beOctet:
		for _, x := range c {
			p.c('_')
			p.hexw(uint64(x), 2)
		}
	case beNull:
	case beOID:
		var o int32
		first := true
		for _, x := range c {
			o = o<<7 + int32(x&0x7f)
			if x&0x80 != 0 {
				continue
			}
			if first {
				first = false
				s := o / 40
				if s > 2 {
					s = 2
				}
				p.c('.')
				p.u(uint64(uint32(s)))
				o -= s * 40
			}
			p.c('.')
			p.u(uint64(uint32(o)))
			o = 0
		}
	case beInt:
		p.i(int(e.integer))
	case beUns:
		p.u(uint64(e.uns))
	case beUns64:
		p.u(e.uns64)
	case beStr:
		printable := true
		for _, x := range c {
			if x < 0x20 || x > 0x7e {
				printable = false
				break
			}
		}
		if printable {
			p.c('"')
			p.out = append(p.out, c...)
			p.c('"')
			break
		}
		for i, x := range c {
			if i > 0 {
				p.c('_')
			}
			p.hexw(uint64(x), 2)
		}
	case beSeq:
		p.s("Seq(")
		p.i(e.asnlen)
		p.c(')')
	case beInetAddr:
		if e.asnlen != 4 {
			p.s("[inetaddr len!=4]")
		}
		for i, x := range c {
			if i > 0 {
				p.c('.')
			}
			p.u(uint64(x))
		}
	case beNoSuchObject, beNoSuchInst, beEndOfMibView:
		p.c('[')
		p.s(asnExceptions[e.id])
		p.c(']')
	case bePDU:
		p.s(asnContext[e.id])
		p.c('(')
		p.i(e.asnlen)
		p.c(')')
	default:
		p.s("[BE_ANY!?]")
	}
}

// snmpNext parses the element at b[off:] within length and checks its
// type; a wrong type prints "[what]" and the element.
func (p *Printer) snmpNext(b []byte, off, length, typ int, what string) (asnElem, int, bool) {
	e, n := p.asn1Parse(b[min(off, len(b)):], length)
	if n < 0 {
		return e, n, false
	}
	if typ >= 0 && e.typ != typ {
		p.c('[')
		p.s(what)
		p.c(']')
		p.asn1Print(e)
		return e, n, false
	}
	return e, n, true
}

func (p *Printer) snmp(b []byte, length int) {
	p.proto = "snmp"
	p.c(' ')
	e, n, ok := p.snmpNext(b, 0, length, beSeq, "!init SEQ")
	if !ok {
		return
	}
	if n < length {
		p.c('[')
		p.i(length - n)
		p.s(" extra after iSEQ]")
	}
	body := e.data
	length = e.asnlen
	v, n, ok := p.snmpNext(body, 0, length, beInt, "version!=INT")
	if !ok {
		return
	}
	version := int(v.integer)
	switch version {
	case 0, 1, 3:
		if p.opts.Verbose > 0 {
			p.s("{ ")
			p.s(snmpVersions[version])
			p.c(' ')
		}
	default:
		p.s("SNMP [version = ")
		p.i(version)
		p.c(']')
		return
	}
	body = body[n:]
	length -= n
	// The parts return early on errors, but the outer brace is closed
	// all the same, as in tcpdump.
	if version == 3 {
		p.snmpV3(body, length)
	} else {
		p.snmpCommunity(body, length, version)
	}
	if p.opts.Verbose > 0 {
		p.s("} ")
	}
}

func (p *Printer) snmpCommunity(b []byte, length, version int) {
	e, n, ok := p.snmpNext(b, 0, length, beStr, "comm!=STR")
	if !ok {
		return
	}
	if string(e.data) != "public" {
		p.s("C=")
		p.asn1Print(e)
		p.c(' ')
	}
	p.snmpPDU(b[n:], length-n, version)
}

// snmpPDU prints a PDU; on errors it returns without closing its brace.
func (p *Printer) snmpPDU(b []byte, length, version int) {
	pdu, n := p.asn1Parse(b, length)
	if n < 0 {
		return
	}
	if pdu.typ != bePDU {
		p.s("[no PDU]")
		return
	}
	if n < length {
		p.c('[')
		p.i(length - n)
		p.s(" extra after PDU]")
	}
	if p.opts.Verbose > 0 {
		p.s("{ ")
	}
	p.asn1Print(pdu)
	p.c(' ')
	if version == 0 && (pdu.id == pduBulk || pdu.id == pduInform || pdu.id == pduV2Trap || pdu.id == pduReport) {
		p.s("[v2 PDU in v1 message]")
		return
	}
	if version == 1 && pdu.id == pduTrap {
		p.s("[v1 PDU in v2 message]")
		return
	}
	if pdu.id == pduTrap {
		p.snmpTrap(pdu.data, pdu.asnlen)
	} else {
		p.snmpRequest(pdu.id, pdu.data, pdu.asnlen)
	}
	if p.opts.Verbose > 0 {
		p.s(" } ")
	}
}

func (p *Printer) snmpRequest(id int, b []byte, length int) {
	e, n, ok := p.snmpNext(b, 0, length, beInt, "reqId!=INT")
	if !ok {
		return
	}
	if p.opts.Verbose > 0 {
		p.s("R=")
		p.i(int(e.integer))
		p.c(' ')
	}
	b, length = b[n:], length-n
	noErrors := id == pduGet || id == pduGetNext || id == pduSet || id == pduInform || id == pduV2Trap || id == pduReport
	errName := func(v int32) string {
		if v >= 0 && int(v) < len(snmpErrors) {
			return snmpErrors[v]
		}
		return "err=" + itoa10(int(uint32(v)))
	}
	e, n, ok = p.snmpNext(b, 0, length, beInt, "errorStatus!=INT")
	if !ok {
		return
	}
	var errStatus int32
	switch {
	case noErrors && e.integer != 0:
		p.s("[errorStatus(")
		p.s(errName(e.integer))
		p.s(")!=0]")
	case id == pduBulk:
		p.s(" N=")
		p.i(int(e.integer))
	case e.integer != 0:
		p.c(' ')
		p.s(errName(e.integer))
		errStatus = e.integer
	}
	b, length = b[n:], length-n
	e, n, ok = p.snmpNext(b, 0, length, beInt, "errorIndex!=INT")
	if !ok {
		return
	}
	switch {
	case noErrors && e.integer != 0:
		p.s("[errorIndex(")
		p.i(int(e.integer))
		p.s(")!=0]")
	case id == pduBulk:
		p.s(" M=")
		p.i(int(e.integer))
	case e.integer != 0:
		if errStatus == 0 {
			p.s("[errorIndex(")
			p.i(int(e.integer))
			p.s(") w/o errorStatus]")
		} else {
			p.c('@')
			p.i(int(e.integer))
		}
	case errStatus != 0:
		p.s("[errorIndex==0]")
	}
	p.snmpVarbinds(id, b[n:], length-n)
}

func (p *Printer) snmpTrap(b []byte, length int) {
	p.c(' ')
	e, n, ok := p.snmpNext(b, 0, length, beOID, "enterprise!=OID")
	if !ok {
		return
	}
	p.asn1Print(e)
	b, length = b[n:], length-n
	p.c(' ')
	e, n, ok = p.snmpNext(b, 0, length, beInetAddr, "agent-addr!=INETADDR")
	if !ok {
		return
	}
	p.asn1Print(e)
	b, length = b[n:], length-n
	e, n, ok = p.snmpNext(b, 0, length, beInt, "generic-trap!=INT")
	if !ok {
		return
	}
	generic := e.integer
	p.c(' ')
	if generic >= 0 && int(generic) < len(snmpGenericTraps) {
		p.s(snmpGenericTraps[generic])
	} else {
		p.s("gt=")
		p.i(int(generic))
	}
	b, length = b[n:], length-n
	e, n, ok = p.snmpNext(b, 0, length, beInt, "specific-trap!=INT")
	if !ok {
		return
	}
	if generic != 6 {
		if e.integer != 0 {
			p.s("[specific-trap(")
			p.i(int(e.integer))
			p.s(")!=0]")
		}
	} else {
		p.s(" s=")
		p.i(int(e.integer))
	}
	b, length = b[n:], length-n
	p.c(' ')
	e, n, ok = p.snmpNext(b, 0, length, beUns, "time-stamp!=TIMETICKS")
	if !ok {
		return
	}
	p.asn1Print(e)
	p.snmpVarbinds(pduTrap, b[n:], length-n)
}

func (p *Printer) snmpVarbinds(id int, b []byte, length int) {
	e, n, ok := p.snmpNext(b, 0, length, beSeq, "!SEQ of varbind")
	if !ok {
		return
	}
	if n < length {
		p.c('[')
		p.i(length - n)
		p.s(" extra after SEQ of varbind]")
	}
	b, length = e.data, e.asnlen
	request := id == pduGet || id == pduGetNext || id == pduBulk
	for length > 0 {
		p.c(' ')
		vb, n, ok := p.snmpNext(b, 0, length, beSeq, "!varbind")
		if !ok {
			return
		}
		next, nextLen := b[n:], length-n
		vbb, vbLen := vb.data, vb.asnlen
		name, n, ok := p.snmpNext(vbb, 0, vbLen, beOID, "objName!=OID")
		if !ok {
			return
		}
		p.asn1Print(name)
		vbb, vbLen = vbb[n:], vbLen-n
		if !request {
			p.c('=')
		}
		val, n := p.asn1Parse(vbb, vbLen)
		if n < 0 {
			return
		}
		if request {
			if val.typ != beNull {
				p.s("[objVal!=NULL]")
				p.asn1Print(val)
			}
		} else if val.typ != beNull {
			p.asn1Print(val)
		}
		b, length = next, nextLen
	}
}

// snmpV3 prints an SNMPv3 message after the version.
func (p *Printer) snmpV3(b []byte, length int) {
	hdr, n, ok := p.snmpNext(b, 0, length, beSeq, "!message")
	if !ok {
		return
	}
	hdrCount := n
	if p.opts.Verbose > 0 {
		p.s("{ ")
	}
	hb, hl := hdr.data, hdr.asnlen
	if _, n, ok = p.snmpNext(hb, 0, hl, beInt, "msgID!=INT"); !ok {
		return
	}
	hb, hl = hb[n:], hl-n
	if _, n, ok = p.snmpNext(hb, 0, hl, beInt, "msgMaxSize!=INT"); !ok {
		return
	}
	hb, hl = hb[n:], hl-n
	fl, n, ok := p.snmpNext(hb, 0, hl, beStr, "msgFlags!=STR")
	if !ok {
		return
	}
	if fl.asnlen != 1 {
		p.s("[msgFlags size ")
		p.i(fl.asnlen)
		p.c(']')
		return
	}
	flags := fl.data[0]
	if flags != 0 && flags != 1 && flags != 3 && flags != 4 && flags != 5 && flags != 7 {
		p.s("[msgFlags=0x")
		p.out = append(p.out, "0123456789ABCDEF"[flags>>4], "0123456789ABCDEF"[flags&15])
		p.c(']')
		return
	}
	hb, hl = hb[n:], hl-n
	p.s("F=")
	if flags&1 != 0 {
		p.c('a')
	}
	if flags&2 != 0 {
		p.c('p')
	}
	if flags&4 != 0 {
		p.c('r')
	}
	p.c(' ')
	model, n, ok := p.snmpNext(hb, 0, hl, beInt, "msgSecurityModel!=INT")
	if !ok {
		return
	}
	hl -= n
	// The security parameters are read from where the header's fields
	// ended, inside the header when it holds more, as tcpdump does.
	pos := hdrCount - hl
	rest, restLen := b[min(pos, len(b)):], length-pos
	if n < hl {
		p.c('[')
		p.i(hl - n)
		p.s(" extra after message SEQ]")
	}
	if p.opts.Verbose > 0 {
		p.s("} ")
	}
	if model.integer != 3 {
		p.s("[security model ")
		p.i(int(model.integer))
		p.c(']')
		return
	}
	if p.opts.Verbose > 0 {
		p.s("{ USM ")
	}
	sp, n, ok := p.snmpNext(rest, 0, restLen, beStr, "msgSecurityParameters!=STR")
	if !ok {
		return
	}
	rest, restLen = rest[n:], restLen-n
	p.snmpUSM(sp.data, sp.asnlen)
	if p.opts.Verbose > 0 {
		p.s("} ")
		p.s("{ ScopedPDU ")
	}
	p.snmpScoped(rest, restLen)
	if p.opts.Verbose > 0 {
		p.s("} ")
	}
}

func (p *Printer) snmpUSM(b []byte, length int) {
	seq, _, ok := p.snmpNext(b, 0, length, beSeq, "!usm")
	if !ok {
		return
	}
	b, length = seq.data, seq.asnlen
	_, n, ok := p.snmpNext(b, 0, length, beStr, "msgAuthoritativeEngineID!=STR")
	if !ok {
		return
	}
	b, length = b[n:], length-n
	e, n, ok := p.snmpNext(b, 0, length, beInt, "msgAuthoritativeEngineBoots!=INT")
	if !ok {
		return
	}
	if p.opts.Verbose > 0 {
		p.s("B=")
		p.i(int(e.integer))
		p.c(' ')
	}
	b, length = b[n:], length-n
	e, n, ok = p.snmpNext(b, 0, length, beInt, "msgAuthoritativeEngineTime!=INT")
	if !ok {
		return
	}
	if p.opts.Verbose > 0 {
		p.s("T=")
		p.i(int(e.integer))
		p.c(' ')
	}
	b, length = b[n:], length-n
	e, n, ok = p.snmpNext(b, 0, length, beStr, "msgUserName!=STR")
	if !ok {
		return
	}
	b, length = b[n:], length-n
	p.s("U=")
	p.asn1Print(e)
	p.c(' ')
	if _, n, ok = p.snmpNext(b, 0, length, beStr, "msgAuthenticationParameters!=STR"); !ok {
		return
	}
	b, length = b[n:], length-n
	if _, n, ok = p.snmpNext(b, 0, length, beStr, "msgPrivacyParameters!=STR"); !ok {
		return
	}
	length -= n
	if n < length {
		p.c('[')
		p.i(length - n)
		p.s(" extra after usm SEQ]")
	}
}

func (p *Printer) snmpScoped(b []byte, length int) {
	seq, _, ok := p.snmpNext(b, 0, length, beSeq, "!scoped PDU")
	if !ok {
		return
	}
	b, length = seq.data, seq.asnlen
	e, n, ok := p.snmpNext(b, 0, length, beStr, "contextEngineID!=STR")
	if !ok {
		return
	}
	b, length = b[n:], length-n
	p.s("E=")
	for _, x := range e.data {
		p.c('_')
		p.hexw(uint64(x), 2)
	}
	p.c(' ')
	e, n, ok = p.snmpNext(b, 0, length, beStr, "contextName!=STR")
	if !ok {
		return
	}
	p.s("C=")
	p.asn1Print(e)
	p.c(' ')
	p.snmpPDU(b[n:], length-n, 3)
}
