package decode

// IKEv2 payload printers (tcpdump's ikev2_*_print).

var (
	ikeV2TransformTypes = []string{"", "encr", "prf", "integ", "dh", "esn"}
	ikeV2PRFs           = []string{"", "hmac-md5", "hmac-sha", "hmac-tiger", "aes128_xcbc"}
	ikeV2Integs         = []string{"", "hmac-md5", "hmac-sha", "dec-mac", "kpdk-md5", "aes-xcbc"}
	ikeV2ESNs           = []string{"no-esn", "esn"}
	ikeV2AuthMethods    = []string{"invalid", "rsasig", "shared-secret", "dsssig"}
)

// payHead is ikev2_pay_print: the name, "[C]" when the critical bit is set.
func (k *ike) payHead(np, off int) {
	k.p.npName(np)
	k.critical(off)
}

func (k *ike) critical(off int) {
	if k.u8(off+1)&0x80 != 0 {
		k.p.s("[C]")
	}
	k.p.c(':')
}

// v2Generic is ikev2_gen_print: name and length, the bytes with -vvv.
func (k *ike) v2Generic(np, off, itemLen int) int {
	p := k.p
	if !k.has(off, 4) {
		return k.trunc(np)
	}
	k.payHead(np, off)
	p.s(" len=")
	p.i(itemLen - 4)
	if p.opts.Verbose > 2 && itemLen > 4 {
		p.c(' ')
		if !k.raw(off+4, itemLen-4) {
			return k.trunc(np)
		}
	}
	return off + itemLen
}

func (k *ike) v2Transform(count, off, itemLen int) int {
	p := k.p
	if !k.has(off, 8) {
		return k.trunc(3)
	}
	k.payHead(3, off)
	id := k.u16(off + 6)
	typ := k.u8(off + 4)
	var ids []string
	var m []ikeAttrMap
	switch typ {
	case 1:
		ids, m = ikeESPIDs, encrAttrs
	case 2:
		ids = ikeV2PRFs
	case 3:
		ids = ikeV2Integs
	case 4:
		ids = ikeGroups
	case 5:
		ids = ikeV2ESNs
	}
	p.s(" #")
	p.i(count)
	p.s(" type=")
	p.strOrID(typ, ikeV2TransformTypes)
	p.s(" id=")
	if typ >= 1 && typ <= 5 {
		p.strOrID(id, ids)
	} else {
		p.i(id)
	}
	p.c(' ')
	ep2 := off + itemLen
	cp := k.attrs(off+8, ep2, m)
	if cp < 0 {
		return k.trunc(3)
	}
	if len(k.b) < ep2 {
		p.s("...")
	}
	return cp
}

// v2Sub prints the proposals of an SA (inner 2) or the transforms of a
// proposal (inner 3): the loops of ikev2_sa_print and ikev2_p_print.
// rest is the length left in the enclosing payload.
func (k *ike) v2Sub(inner, cp, rest, depth, tpay int) int {
	count := 0
	for np := inner; np != 0; {
		count++
		ext := cp
		if rest < 4 {
			return k.v2TooLong(cp, rest, tpay)
		}
		if !k.has(ext, 4) {
			return k.trunc(tpay)
		}
		itemLen := k.u16(ext + 2)
		if itemLen <= 4 {
			return k.trunc(tpay)
		}
		if rest < itemLen {
			return k.v2TooLong(cp, rest, tpay)
		}
		if !k.has(cp, itemLen) {
			return k.trunc(tpay)
		}
		depth++
		k.indent(depth)
		switch {
		case np == inner && inner == 2:
			cp = k.v2Proposal(ext, itemLen, depth)
		case np == inner:
			cp = k.v2Transform(count, ext, itemLen)
		default:
			k.p.npName(np)
			cp += itemLen
		}
		if cp < 0 {
			return -1
		}
		k.p.c(')')
		depth--
		rest -= itemLen
		np = k.u8(ext)
	}
	return cp
}

func (k *ike) v2TooLong(cp, rest, tpay int) int {
	k.p.s(" [|")
	k.p.npName(tpay)
	k.p.c(']')
	return cp + rest
}

func (k *ike) v2SA(np, off, depth int) int {
	p := k.p
	if !k.has(off, 4) {
		return k.trunc(np)
	}
	p.s("sa")
	k.critical(off)
	l := k.u16(off+2) - 4
	p.s(" len=")
	p.i(l)
	return k.v2Sub(2, off+4, l, depth, np)
}

func (k *ike) v2Proposal(off, itemLen, depth int) int {
	p := k.p
	if !k.has(off, 8) {
		return k.trunc(2)
	}
	k.payHead(2, off)
	rest := itemLen - 4
	p.s(" #")
	p.i(k.u8(off + 4))
	p.s(" protoid=")
	k.protoID(k.u8(off + 5))
	p.s(" transform=")
	p.i(k.u8(off + 7))
	p.s(" len=")
	p.i(itemLen)
	cp := off + 8
	if spi := k.u8(off + 6); spi != 0 {
		if rest < spi {
			return k.v2TooLong(cp, rest, 2)
		}
		p.s(" spi=")
		if !k.raw(cp, spi) {
			return k.trunc(2)
		}
		cp += spi
		rest -= spi
	}
	return k.v2Sub(3, cp, rest, depth, 2)
}

func (k *ike) v2KE(np, off, itemLen int) int {
	p := k.p
	if !k.has(off, 8) {
		return k.trunc(np)
	}
	k.payHead(np, off)
	if itemLen < 8 {
		p.s(" len=")
		p.i(itemLen)
		p.s(" < 8")
		return off + itemLen
	}
	p.s(" len=")
	p.i(itemLen - 8)
	p.s(" group=")
	p.strOrID(k.u16(off+4), ikeGroups)
	if p.opts.Verbose > 2 && itemLen > 8 {
		p.c(' ')
		if !k.raw(off+8, itemLen-8) {
			return k.trunc(np)
		}
	}
	return off + itemLen
}

func (k *ike) v2ID(np, off, itemLen int) int {
	p := k.p
	if !k.has(off, 8) {
		return k.trunc(np)
	}
	k.payHead(np, off)
	p.s(" len=")
	p.i(itemLen - 4)
	if p.opts.Verbose > 2 && itemLen > 4 {
		p.c(' ')
		if !k.raw(off+4, itemLen-4) {
			return k.trunc(np)
		}
	}
	n := itemLen - 8
	data := off + 8
	ascii := false
	switch k.u8(off + 4) {
	case 1:
		p.s(" ipv4:")
	case 2:
		p.s(" fqdn:")
		ascii = true
	case 3:
		p.s(" rfc822:")
		ascii = true
	case 5:
		p.s(" ipv6:")
	case 9:
		p.s(" dn:")
	case 10:
		p.s(" gn:")
	case 11:
		p.s(" keyid:")
	default:
		return off + itemLen
	}
	if !k.has(data, n) {
		return k.trunc(np)
	}
	for _, c := range k.b[data : data+n] {
		if !ascii {
			p.hexw(uint64(c), 2)
		} else if isPrint(c) {
			p.c(c)
		} else {
			p.c('.')
		}
	}
	return off + itemLen
}

func (k *ike) v2Auth(np, off, itemLen int) int {
	p := k.p
	if !k.has(off, 8) {
		return k.trunc(np)
	}
	k.payHead(np, off)
	p.s(" len=")
	p.i(itemLen - 4)
	p.s(" method=")
	p.strOrID(k.u8(off+4), ikeV2AuthMethods)
	if itemLen > 4 {
		if p.opts.Verbose > 1 {
			p.s(" authdata=(")
			if !k.raw(off+8, itemLen-8) {
				return k.trunc(np)
			}
			p.s(") ")
		} else if p.opts.Verbose > 0 && !k.somedata(off+8) {
			return k.trunc(np)
		}
	}
	return off + itemLen
}

func (k *ike) v2Nonce(np, off, itemLen int) int {
	p := k.p
	if !k.has(off, 4) {
		return k.trunc(np)
	}
	p.s("nonce")
	k.critical(off)
	p.s(" len=")
	p.i(itemLen - 4)
	if p.opts.Verbose > 1 && itemLen > 4 {
		p.s(" nonce=(")
		if !k.raw(off+4, itemLen-4) {
			return k.trunc(np)
		}
		p.s(") ")
	} else if p.opts.Verbose > 0 && itemLen > 4 && !k.somedata(off+4) {
		return k.trunc(np)
	}
	return off + itemLen
}

// ikeV2Notify names the notify types tcpdump knows and says whether it
// shows their SPI.
var ikeV2Notify = map[int]struct {
	name string
	spi  bool
}{
	1: {"unsupported_critical_payload", false}, 4: {"invalid_ike_spi", true},
	5: {"invalid_major_version", false}, 7: {"invalid_syntax", true},
	9: {"invalid_message_id", true}, 11: {"invalid_spi", true},
	14: {"no_protocol_chosen", true}, 17: {"invalid_ke_payload", true},
	24: {"authentication_failed", true}, 34: {"single_pair_required", true},
	35: {"no_additional_sas", false}, 36: {"internal_address_failure", false},
	37: {"failed:cp_required", false}, 39: {"invalid_selectors", false},
	16384: {"initial_contact", false}, 16385: {"set_window_size", false},
	16386: {"additional_ts_possible", false}, 16387: {"ipcomp_supported", false},
	16388: {"nat_detection_source_ip", true}, 16389: {"nat_detection_destination_ip", true},
	16390: {"cookie", true}, 16391: {"use_transport_mode", false},
	16392: {"http_cert_lookup_supported", false}, 16393: {"rekey_sa", true},
	16394: {"tfc_padding_not_supported", false}, 16395: {"non_first_fragment_also", false},
}

func (k *ike) v2Notify(off, itemLen int) int {
	p := k.p
	if !k.has(off, 8) {
		return k.trunc(11)
	}
	k.payHead(11, off)
	p.s(" prot_id=")
	k.protoID(k.u8(off + 4))
	typ := k.u16(off + 6)
	n, known := ikeV2Notify[typ]
	showSPI, someData := n.spi, typ == 16390
	if !known {
		showSPI = true
		switch {
		case typ < 8192:
			n.name = "error"
		case typ < 16384:
			n.name = "private-error"
		case typ < 40960:
			n.name = "status"
		default:
			n.name = "private-status"
		}
	}
	p.s(" type=")
	p.i(typ)
	p.c('(')
	p.s(n.name)
	p.c(')')
	spi := k.u8(off + 5)
	if showSPI && spi != 0 {
		p.s(" spi=")
		if !k.raw(off+8, spi) {
			return k.trunc(11)
		}
	}
	cp, ep := off+8+spi, len(k.b)
	if cp < ep {
		if p.opts.Verbose > 3 || (someData && ep-cp < 30) {
			p.s(" data=(")
			if !k.raw(cp, ep-cp) {
				return k.trunc(11)
			}
			p.c(')')
		} else if someData && !k.somedata(cp) {
			return k.trunc(11)
		}
	}
	return off + itemLen
}

func (k *ike) v2VID(np, off, itemLen int) int {
	p := k.p
	if !k.has(off, 4) {
		return k.trunc(np)
	}
	k.payHead(np, off)
	n := itemLen - 4
	p.s(" len=")
	p.i(n)
	p.s(" vid=")
	if !k.has(off+4, n) {
		return k.trunc(np)
	}
	for _, c := range k.b[off+4 : off+4+n] {
		if isPrint(c) {
			p.c(c)
		} else {
			p.c('.')
		}
	}
	if p.opts.Verbose > 2 && n > 4 {
		p.c(' ')
		if !k.raw(off+4, n) {
			return k.trunc(np)
		}
	}
	return off + itemLen
}

// v2Encrypted is ikev2_e_print without decryption: it always ends the
// chain, whose next payload field names what is inside.
func (k *ike) v2Encrypted(np, off, itemLen int) int {
	p := k.p
	if !k.has(off, 4) {
		return k.trunc(np)
	}
	k.payHead(np, off)
	n := itemLen - 4
	p.s(" len=")
	p.i(n)
	if p.opts.Verbose > 2 && n > 4 {
		p.c(' ')
		if !k.raw(off+4, n) {
			return k.trunc(np)
		}
	}
	if !k.has(off+4, n) {
		return k.trunc(np)
	}
	return -1
}
