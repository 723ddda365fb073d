package decode

// IKEv1 payload printers (tcpdump's ikev1_*_print).

type ikeAttrMap struct {
	name   string
	values []string
}

var ikeGroups = []string{"", "modp768", "modp1024", "EC2N 2^155", "EC2N 2^185", "modp1536",
	"iana-grp06", "iana-grp07", "iana-grp08", "iana-grp09", "iana-grp10", "iana-grp11",
	"iana-grp12", "iana-grp13", "modp2048", "modp3072", "modp4096", "modp6144", "modp8192"}

var ipsecAttrs = []ikeAttrMap{
	{}, {"lifetype", []string{"", "sec", "kb"}}, {"life", nil}, {"group desc", ikeGroups},
	{"enc mode", []string{"", "tunnel", "transport"}},
	{"auth", []string{"", "hmac-md5", "hmac-sha1", "1des-mac", "keyed"}},
	{"keylen", nil}, {"rounds", nil}, {"dictsize", nil}, {"privalg", nil},
}

var oakleyAttrs = []ikeAttrMap{
	{}, {"enc", []string{"", "1des", "idea", "blowfish", "rc5", "3des", "cast", "aes"}},
	{"hash", []string{"", "md5", "sha1", "tiger", "sha2-256", "sha2-384", "sha2-512"}},
	{"auth", []string{"", "preshared", "dss", "rsa sig", "rsa enc", "rsa enc revised"}},
	{"group desc", ikeGroups}, {"group type", []string{"", "MODP", "ECP", "EC2N"}},
	{"group prime", nil}, {"group gen1", nil}, {"group gen2", nil}, {"group curve A", nil},
	{"group curve B", nil}, {"lifetype", []string{"", "sec", "kb"}}, {"lifeduration", nil},
	{"prf", nil}, {"keylen", nil}, {"field", nil}, {"order", nil},
}

// encrAttrs is tcpdump's encr_t_map: only attribute 14, with no value
// names.
var encrAttrs = func() []ikeAttrMap {
	m := make([]ikeAttrMap, 15)
	m[14].name = "keylen"
	return m
}()

var (
	ikeV1TransformIDs = []string{"", "ike"}
	ikeAHIDs          = []string{"", "(reserved)", "md5", "sha", "1des", "sha2-256", "sha2-384", "sha2-512"}
	ikeESPIDs         = []string{"", "1des-iv64", "1des", "3des", "rc5", "idea", "cast", "blowfish", "3idea", "1des-iv32", "rc4", "null", "aes"}
	ikeIPCompIDs      = []string{"", "oui", "deflate", "lzs"}
)

// attr is ikev1_attrmap_print (map non-nil) or ikev1_attr_print: one
// data attribute at cp, ending by ep2. It returns the next offset, ep2+1
// after "[|attr]", or -1 when a value was not captured.
func (k *ike) attr(cp, ep2 int, m []ikeAttrMap) int {
	p := k.p
	total := 4
	if k.u8(cp)&0x80 == 0 {
		total = 4 + k.u16(cp+2)
	}
	if ep2 < cp+total {
		p.s("[|attr]")
		return ep2 + 1
	}
	p.c('(')
	t := k.u16(cp) & 0x7fff
	if m != nil && t < len(m) && m[t].name != "" {
		p.s("type=")
		p.s(m[t].name)
		p.c(' ')
	} else {
		p.s("type=#")
		p.i(t)
		p.c(' ')
	}
	if k.u8(cp)&0x80 != 0 {
		p.s("value=")
		v := k.u16(cp + 2)
		if m != nil && t < len(m) && v < len(m[t].values) && m[t].values[v] != "" {
			p.s(m[t].values[v])
		} else if !k.raw(cp+2, 2) {
			p.c(')')
			return -1
		}
	} else {
		p.s("len=")
		p.i(total - 4)
		p.s(" value=")
		if !k.raw(cp+4, total-4) {
			p.c(')')
			return -1
		}
	}
	p.c(')')
	return cp + total
}

// attrs prints the attributes from cp to ep2 (and the capture's end).
func (k *ike) attrs(cp, ep2 int, m []ikeAttrMap) int {
	for cp < len(k.b) && cp < ep2 {
		if cp = k.attr(cp, ep2, m); cp < 0 {
			return -1
		}
	}
	return cp
}

func (k *ike) protoID(v int) { k.p.strOrID(v, ikeProtoIDs) }

func (k *ike) v1SA(off, depth, proto int) int {
	p := k.p
	p.s("sa:")
	if !k.has(off, 12) {
		return k.trunc(1)
	}
	doi, sit := k.u32(off+4), k.u32(off+8)
	if doi != 1 {
		p.s(" doi=")
		p.u(uint64(doi))
		p.s(" situation=")
		p.u(uint64(sit))
		return off + 12
	}
	p.s(" doi=ipsec situation=")
	n := 0
	for _, f := range []struct {
		bit  uint32
		name string
	}{{1, "identity"}, {2, "secrecy"}, {4, "integrity"}} {
		if sit&f.bit != 0 {
			if n > 0 {
				p.c('+')
			}
			p.s(f.name)
			n++
		}
	}
	np := off + 12
	if sit != 1 {
		// tcpdump reads the identity from the DOI field (ext + 1).
		p.s(" ident=")
		p.u(uint64(k.u32(off + 4)))
		np += 4
	}
	if !k.has(np, 4) {
		return k.trunc(1)
	}
	return k.v1Chain(2, np, depth, int(doi), proto)
}

func (k *ike) v1Proposal(off, depth, doi int) int {
	p := k.p
	p.s("p:")
	if !k.has(off, 8) {
		return k.trunc(2)
	}
	p.s(" #")
	p.i(k.u8(off + 4))
	p.s(" protoid=")
	k.protoID(k.u8(off + 5))
	p.s(" transform=")
	p.i(k.u8(off + 7))
	spi := k.u8(off + 6)
	if spi != 0 {
		p.s(" spi=")
		if !k.raw(off+8, spi) {
			return k.trunc(2)
		}
	}
	next := off + 8 + spi
	if !k.has(next, 4) {
		return k.trunc(2)
	}
	return k.v1Chain(3, next, depth, doi, k.u8(off+5))
}

func (k *ike) v1Transform(off, itemLen, proto int) int {
	p := k.p
	p.s("t:")
	if !k.has(off, 8) {
		return k.trunc(3)
	}
	var ids []string
	var m []ikeAttrMap
	switch proto {
	case 1:
		ids, m = ikeV1TransformIDs, oakleyAttrs
	case 2:
		ids, m = ikeAHIDs, ipsecAttrs
	case 3:
		ids, m = ikeESPIDs, ipsecAttrs
	case 4:
		ids, m = ikeIPCompIDs, ipsecAttrs
	}
	p.s(" #")
	p.i(k.u8(off + 4))
	p.s(" id=")
	if ids != nil {
		p.strOrID(k.u8(off+5), ids)
	} else {
		p.i(k.u8(off + 5))
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

// v1Data prints the payloads that are only data (ke, hash, sig, vid): the
// length, and the bytes with -vvv.
func (k *ike) v1Data(np int, name, lenLabel string, off, itemLen int) int {
	p := k.p
	p.s(name)
	if !k.has(off, 4) {
		return k.trunc(np)
	}
	p.s(lenLabel)
	p.i(itemLen - 4)
	if p.opts.Verbose > 2 && itemLen > 4 {
		p.c(' ')
		if !k.raw(off+4, itemLen-4) {
			return k.trunc(np)
		}
	}
	return off + itemLen
}

var ikeIDTypes = []string{"", "IPv4", "FQDN", "user FQDN", "IPv4net", "IPv6", "IPv6net",
	"IPv4range", "IPv6range", "ASN1 DN", "ASN1 GN", "keyid"}

func (k *ike) v1ID(off, itemLen int) int {
	p := k.p
	p.s("id:")
	if !k.has(off, 8) {
		return k.trunc(5)
	}
	data, n := -1, 0
	if itemLen > 8 {
		data, n = off+8, itemLen-8
	}
	typ := k.u8(off + 4)
	p.s(" idtype=")
	p.strOrID(typ, ikeIDTypes)
	proto := k.u8(off + 5)
	if name := protocolName(uint8(proto)); !p.opts.NumericHosts && proto != 0 && name != "" {
		p.s(" protoid=")
		p.s(name)
	} else {
		p.s(" protoid=")
		p.i(proto)
	}
	p.s(" port=")
	p.i(k.u16(off + 6))
	if n > 0 {
		if !k.has(data, n) {
			return k.trunc(5)
		}
		bad := func(min int) bool {
			p.s(" len=")
			p.i(n)
			if n < min {
				p.s(" [bad: < ")
				p.i(min)
				p.c(']')
				return true
			}
			p.c(' ')
			return false
		}
		switch typ {
		case 1:
			if !bad(4) {
				p.ip4(k.b[data:])
			}
			n = 0
		case 2, 3:
			p.s(" len=")
			p.i(n)
			p.c(' ')
			for _, c := range k.b[data : data+n] {
				p.safeChar(c)
			}
			n = 0
		case 4:
			if !bad(8) {
				p.ip4(k.b[data:])
				p.c('/')
				m := k.b[data+4:]
				for i := 0; i < 4; i++ {
					if i > 0 {
						p.c('.')
					}
					p.u(uint64(m[i]))
				}
			}
			n = 0
		case 5:
			if !bad(16) {
				p.addr6(k.b[data:])
			}
			n = 0
		case 6:
			if !bad(32) {
				p.addr6(k.b[data:])
				p.s("/0x")
				for _, c := range k.b[data+16 : data+32] {
					p.hexw(uint64(c), 2)
				}
			}
			n = 0
		case 7:
			if !bad(8) {
				p.ip4(k.b[data:])
				p.c('-')
				p.ip4(k.b[data+4:])
			}
			n = 0
		case 8:
			if !bad(32) {
				p.addr6(k.b[data:])
				p.c('-')
				p.addr6(k.b[data+16:])
			}
			n = 0
		}
	}
	if data >= 0 && n > 0 {
		p.s(" len=")
		p.i(n)
		if p.opts.Verbose > 2 {
			p.c(' ')
			if !k.raw(data, n) {
				return k.trunc(5)
			}
		}
	}
	return off + itemLen
}

var ikeCertTypes = []string{"none", "pkcs7", "pgp", "dns", "x509sign", "x509ke", "kerberos", "crl", "arl", "spki", "x509attr"}

func (k *ike) v1Cert(np, off, itemLen int) int {
	p := k.p
	p.npName(np)
	p.c(':')
	if !k.has(off, 6) {
		return k.trunc(np)
	}
	p.s(" len=")
	p.i(itemLen - 4)
	p.s(" type=")
	p.strOrID(k.u8(off+4), ikeCertTypes)
	if p.opts.Verbose > 2 && itemLen > 4 {
		p.c(' ')
		if !k.raw(off+4, itemLen-4) {
			return k.trunc(np)
		}
	}
	return off + itemLen
}

func (k *ike) v1Nonce(off, itemLen int) int {
	p := k.p
	p.s("nonce:")
	if !k.has(off, 4) {
		return k.trunc(10)
	}
	p.s(" n len=")
	p.i(itemLen - 4)
	if itemLen > 4 {
		if p.opts.Verbose > 2 {
			p.c(' ')
			if !k.raw(off+4, itemLen-4) {
				return k.trunc(10)
			}
		} else if p.opts.Verbose > 1 {
			p.c(' ')
			if !k.somedata(off + 4) {
				return k.trunc(10)
			}
		}
	}
	return off + itemLen
}

var ikeNotifyErrors = []string{"", "INVALID-PAYLOAD-TYPE", "DOI-NOT-SUPPORTED",
	"SITUATION-NOT-SUPPORTED", "INVALID-COOKIE", "INVALID-MAJOR-VERSION",
	"INVALID-MINOR-VERSION", "INVALID-EXCHANGE-TYPE", "INVALID-FLAGS", "INVALID-MESSAGE-ID",
	"INVALID-PROTOCOL-ID", "INVALID-SPI", "INVALID-TRANSFORM-ID", "ATTRIBUTES-NOT-SUPPORTED",
	"NO-PROPOSAL-CHOSEN", "BAD-PROPOSAL-SYNTAX", "PAYLOAD-MALFORMED", "INVALID-KEY-INFORMATION",
	"INVALID-ID-INFORMATION", "INVALID-CERT-ENCODING", "INVALID-CERTIFICATE",
	"CERT-TYPE-UNSUPPORTED", "INVALID-CERT-AUTHORITY", "INVALID-HASH-INFORMATION",
	"AUTHENTICATION-FAILED", "INVALID-SIGNATURE", "ADDRESS-NOTIFICATION", "NOTIFY-SA-LIFETIME",
	"CERTIFICATE-UNAVAILABLE", "UNSUPPORTED-EXCHANGE-TYPE", "UNEQUAL-PAYLOAD-LENGTHS"}

func (k *ike) v1NotifyType(typ int, ipsec bool) {
	p := k.p
	p.s(" type=")
	switch {
	case typ < 8192:
		p.strOrID(typ, ikeNotifyErrors)
	case typ < 16384 && ipsec:
		p.strOrID(typ-8192, []string{"RESERVED"})
	case typ < 16384:
		p.strOrID(typ, nil)
	case typ < 24576:
		p.strOrID(typ-16384, []string{"CONNECTED"})
	case typ < 32768 && ipsec:
		p.strOrID(typ-24576, []string{"RESPONDER-LIFETIME", "REPLAY-STATUS", "INITIAL-CONTACT"})
	default:
		p.strOrID(typ, nil)
	}
}

func (k *ike) v1Notify(off, itemLen int) int {
	p := k.p
	p.s("n:")
	if !k.has(off, 12) {
		return k.trunc(11)
	}
	doi, proto := k.u32(off+4), k.u8(off+8)
	spi := k.u8(off + 9)
	typ := k.u16(off + 10)
	if doi != 1 {
		p.s(" doi=")
		p.u(uint64(doi))
		p.s(" proto=")
		p.i(proto)
		k.v1NotifyType(typ, false)
		if spi != 0 {
			p.s(" spi=")
			if !k.raw(off+12, spi) {
				return k.trunc(11)
			}
		}
		return off + 12 + spi
	}
	p.s(" doi=ipsec proto=")
	k.protoID(proto)
	k.v1NotifyType(typ, true)
	if spi != 0 {
		p.s(" spi=")
		if !k.raw(off+12, spi) {
			return k.trunc(11)
		}
	}
	cp, ep2 := off+12+spi, off+itemLen
	if cp < len(k.b) {
		switch typ {
		case 24576:
			p.s(" attrs=(")
			for cp < len(k.b) && cp < ep2 {
				if cp = k.attr(cp, ep2, oakleyAttrs); cp < 0 {
					p.c(')')
					return k.trunc(11)
				}
			}
			p.c(')')
		case 24577:
			p.s(" status=(replay detection ")
			if k.u32(cp) != 0 {
				p.s("en")
			} else {
				p.s("dis")
			}
			p.s("abled)")
		default:
			if p.opts.Verbose > 3 {
				p.s(" data=(")
				if !k.raw(cp, len(k.b)-cp) {
					return k.trunc(11)
				}
				p.c(')')
			} else if !k.somedata(cp) {
				return k.trunc(11)
			}
		}
	}
	return off + itemLen
}

func (k *ike) v1Delete(off int) int {
	p := k.p
	p.s("d:")
	if !k.has(off, 12) {
		return k.trunc(12)
	}
	doi, proto := k.u32(off+4), k.u8(off+8)
	if doi != 1 {
		p.s(" doi=")
		p.u(uint64(doi))
		p.s(" proto=")
		p.i(proto)
	} else {
		p.s(" doi=ipsec proto=")
		k.protoID(proto)
	}
	spi := k.u8(off + 9)
	p.s(" spilen=")
	p.i(spi)
	nspi := k.u16(off + 10)
	p.s(" nspi=")
	p.i(nspi)
	p.s(" spi=")
	q := off + 12
	for i := 0; i < nspi; i++ {
		if i != 0 {
			p.c(',')
		}
		if !k.raw(q, spi) {
			return k.trunc(12)
		}
		q += spi
	}
	return q
}
