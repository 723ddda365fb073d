package decode

import (
	"bytes"
	"encoding/binary"
)

// ISAKMP (RFC 2408), IKEv1 (RFC 2409) and IKEv2 (RFC 7296) on UDP 500,
// 4500 (after the non-ESP marker), 7500 and 8500, printed as tcpdump's
// isakmp_print does: the header on the first line and, with -v, one
// indented line per payload.

// ikeCookies is tcpdump's cache of the last 20 IKEv1 initiator cookies
// with the addresses of the packet that carried them. Unused entries are
// all zero and match a zero cookie, as in tcpdump.
type ikeCookies struct {
	entries [20]struct {
		cookie   [8]byte
		version  int // 4, 6, or 0 while unused
		src, dst [16]byte
	}
	next int
}

func (c *ikeCookies) find(ck []byte) int {
	for i := range c.entries {
		if bytes.Equal(c.entries[i].cookie[:], ck) {
			return i
		}
	}
	return -1
}

func (c *ikeCookies) record(ck []byte, info ipInfo) {
	if i := c.find(ck); i >= 0 {
		c.next = (i + 1) % len(c.entries)
		return
	}
	e := &c.entries[c.next]
	e.version = 4
	if info.v6 {
		e.version = 6
	}
	copy(e.src[:], info.src)
	copy(e.dst[:], info.dst)
	copy(e.cookie[:], ck)
	c.next = (c.next + 1) % len(c.entries)
}

// side reports whether the packet's source is the recorded initiator
// (initiator true) or responder.
func (c *ikeCookies) side(i int, info ipInfo, initiator bool) bool {
	e := &c.entries[i]
	if (e.version == 6) != info.v6 || e.version == 0 {
		return false
	}
	n := len(info.src)
	if initiator {
		return bytes.Equal(info.src, e.src[:n])
	}
	return bytes.Equal(info.src, e.dst[:n])
}

var ikeProtoIDs = []string{"", "isakmp", "ipsec-ah", "ipsec-esp", "ipcomp"}

var ikeNPNames = []string{
	"none", "sa", "p", "t", "ke", "id", "cert", "cr", "hash", "sig", "nonce", "n", "d", "vid",
	"pay14", "pay15", "pay16", "pay17", "pay18", "pay19", "pay20", "pay21", "pay22", "pay23",
	"pay24", "pay25", "pay26", "pay27", "pay28", "pay29", "pay30", "pay31", "pay32",
	"v2sa", "v2ke", "v2IDi", "v2IDr", "v2cert", "v2cr", "v2auth", "v2nonce", "v2n", "v2d",
	"v2vid", "v2TSi", "v2TSr", "v2e", "v2cp", "v2eap",
}

var ikeExchanges = func() []string {
	t := make([]string, 38)
	copy(t, []string{"none", "base", "ident", "auth", "agg", "inf"})
	copy(t[32:], []string{"oakley-quick", "oakley-newgroup", "ikev2_init", "ikev2_auth", "child_sa", "inf2"})
	return t
}()

// strOrID is tcpdump's STR_OR_ID: the table's name, or "#n".
func (p *Printer) strOrID(v int, tab []string) {
	if v >= 0 && v < len(tab) && tab[v] != "" {
		p.s(tab[v])
		return
	}
	p.c('#')
	p.i(v)
}

func (p *Printer) npName(np int) { p.strOrID(np, ikeNPNames) }

// ike walks one ISAKMP message; offsets are from the message start and end
// is the end of the captured bytes (tcpdump's snapend). -1 stands for
// tcpdump's NULL: the line stops there.
type ike struct {
	p    *Printer
	b    []byte
	info ipInfo
}

func (k *ike) u8(off int) int     { return int(k.p.u8(k.b, off)) }
func (k *ike) u16(off int) int    { return int(k.p.be16(k.b, off)) }
func (k *ike) u32(off int) uint32 { return k.p.be32(k.b, off) }

// has is ND_TTEST_LEN: n bytes at off are captured.
func (k *ike) has(off, n int) bool { return n >= 0 && off >= 0 && off+n <= len(k.b) }

// raw is rawprint: hex digits, false (nothing printed) when not captured.
func (k *ike) raw(off, n int) bool {
	if !k.has(off, n) {
		return false
	}
	for _, c := range k.b[off : off+n] {
		k.p.hexw(uint64(c), 2)
	}
	return true
}

// trunc prints " [|name]" for a payload that ran past the capture.
func (k *ike) trunc(np int) int {
	k.p.s(" [|")
	k.p.npName(np)
	k.p.c(']')
	return -1
}

func (k *ike) indent(depth int) {
	k.p.c('\n')
	for i := 0; i < depth; i++ {
		k.p.s("    ")
	}
	k.p.c('(')
}

// somedata is ike_show_somedata: the first 10 and the last 20 captured
// bytes from cp.
func (k *ike) somedata(cp int) bool {
	ep := len(k.b)
	end, elen := ep-20, 20
	n := ep - cp
	if n > 10 {
		n = 10
	}
	if end < cp+n {
		end = cp + n
		elen = ep - end
	}
	k.p.s(" data=(")
	if !k.raw(cp, n) {
		return false
	}
	k.p.s("...")
	if elen != 0 && !k.raw(end, elen) {
		return false
	}
	k.p.c(')')
	return true
}

func (p *Printer) isakmp(b []byte, length int, info ipInfo) {
	p.proto = "isakmp"
	if len(b) < 28 {
		p.s(" [|isakmp]")
		return
	}
	k := &ike{p: p, b: b, info: info}
	major, minor := int(b[17]>>4), int(b[17]&0xf)
	p.s("isakmp")
	if p.opts.Verbose > 0 {
		p.c(' ')
		p.i(major)
		p.c('.')
		p.i(minor)
		p.s(" msgid ")
		k.raw(20, 4)
	}
	if p.opts.Verbose > 1 {
		p.s(" cookie ")
		k.raw(0, 8)
		p.s("->")
		k.raw(8, 8)
	}
	p.c(':')
	switch major {
	case 1:
		k.v1(length)
	case 2:
		k.v2(length)
	}
}

func (k *ike) v1(length int) {
	p, b := k.p, k.b
	// Message ID 0 is phase 1 (the IKE SA), any other phase 2.
	if binary.BigEndian.Uint32(b[20:]) == 0 {
		p.s(" phase 1")
	} else {
		p.s(" phase 2/others")
	}
	c := &p.ike
	if i := c.find(b[:8]); i < 0 {
		if bytes.Equal(b[8:16], make([]byte, 8)) {
			p.s(" I")
			c.record(b[:8], k.info)
		} else {
			p.s(" ?")
		}
	} else if c.side(i, k.info, true) {
		p.s(" I")
	} else if c.side(i, k.info, false) {
		p.s(" R")
	} else {
		p.s(" ?")
	}
	p.c(' ')
	p.strOrID(int(b[18]), ikeExchanges)
	flags := b[19]
	if flags != 0 {
		p.c('[')
		if flags&1 != 0 {
			p.c('E')
		}
		if flags&2 != 0 {
			p.c('C')
		}
		p.c(']')
	}
	k.body(length, flags&1 != 0, k.v1Chain)
}

func (k *ike) v2(length int) {
	p, b := k.p, k.b
	// Message ID 0 is phase 1 (the IKE SA), any other phase 2.
	if binary.BigEndian.Uint32(b[20:]) == 0 {
		p.s(" parent_sa")
	} else {
		p.s(" child_sa ")
	}
	p.c(' ')
	p.strOrID(int(b[18]), ikeExchanges)
	flags := b[19]
	if flags != 0 {
		p.c('[')
		if flags&0x08 != 0 {
			p.c('I')
		}
		if flags&0x10 != 0 {
			p.c('V')
		}
		if flags&0x20 != 0 {
			p.c('R')
		}
		p.c(']')
	}
	k.body(length, flags&1 != 0, k.v2Chain)
}

// body prints the payload chain with -v and the length check.
func (k *ike) body(length int, encrypted bool, chain func(np, off, depth, doi, proto int) int) {
	p := k.p
	if p.opts.Verbose == 0 {
		return
	}
	p.c(':')
	np := int(k.b[16])
	if encrypted {
		p.s(" [encrypted ")
		p.npName(np)
		p.c(']')
	} else {
		chain(np, 28, 0, 0, 0)
	}
	if l := binary.BigEndian.Uint32(k.b[24:]); int64(l) != int64(length) {
		p.s(" (len mismatch: isakmp ")
		p.u(uint64(l))
		p.s("/ip ")
		p.i(length)
		p.c(')')
	}
}

// v1Chain is ikev1_sub_print: payloads from off on, each on its own line.
func (k *ike) v1Chain(np, off, depth, doi, proto int) int {
	cp := off
	for np != 0 {
		if !k.has(off, 4) {
			return k.trunc(np)
		}
		itemLen := k.u16(off + 2)
		if !k.has(off, itemLen) {
			return k.trunc(np)
		}
		k.indent(depth + 1)
		cp = k.v1Item(np, off, depth+1, doi, proto)
		k.p.c(')')
		if cp < 0 {
			return -1
		}
		np = k.u8(off)
		off = cp
	}
	return cp
}

// v1Item is ike_sub0_print.
func (k *ike) v1Item(np, off, depth, doi, proto int) int {
	if !k.has(off, 4) {
		k.p.s(" [|isakmp]")
		return -1
	}
	itemLen := k.u16(off + 2)
	if itemLen <= 4 {
		return -1
	}
	return k.payload(np, off, itemLen, depth, doi, proto)
}

// v2Chain is ikev2_sub_print.
func (k *ike) v2Chain(np, off, depth, doi, proto int) int {
	cp := off
	for np != 0 {
		if !k.has(off, 4) {
			return k.trunc(np)
		}
		if !k.has(off, k.u16(off+2)) {
			return k.trunc(np)
		}
		k.indent(depth + 1)
		cp = k.v2Item(np, off, depth+1, doi, proto)
		k.p.c(')')
		if cp < 0 {
			return -1
		}
		np = k.u8(off)
		off = cp
	}
	return cp
}

func (k *ike) v2Item(np, off, depth, doi, proto int) int {
	if !k.has(off, 4) {
		k.p.s(" [|isakmp]")
		return -1
	}
	itemLen := k.u16(off + 2)
	if itemLen <= 4 {
		return -1
	}
	if np == 46 {
		return k.v2Encrypted(np, off, itemLen)
	}
	return k.payload(np, off, itemLen, depth, doi, proto)
}

// payload calls the printer of payload type np (tcpdump's npfunc table,
// shared by both versions) or prints its name.
func (k *ike) payload(np, off, itemLen, depth int, doi int, proto int) int {
	switch np {
	case 1:
		return k.v1SA(off, depth, proto)
	case 2:
		return k.v1Proposal(off, depth, doi)
	case 3:
		return k.v1Transform(off, itemLen, proto)
	case 4:
		return k.v1Data(np, "ke:", " key len=", off, itemLen)
	case 5:
		return k.v1ID(off, itemLen)
	case 6, 7:
		return k.v1Cert(np, off, itemLen)
	case 8:
		return k.v1Data(np, "hash:", " len=", off, itemLen)
	case 9:
		return k.v1Data(np, "sig:", " len=", off, itemLen)
	case 10:
		return k.v1Nonce(off, itemLen)
	case 11:
		return k.v1Notify(off, itemLen)
	case 12:
		return k.v1Delete(off)
	case 13:
		return k.v1Data(np, "vid:", " len=", off, itemLen)
	case 33:
		return k.v2SA(np, off, depth)
	case 34:
		return k.v2KE(np, off, itemLen)
	case 35, 36:
		return k.v2ID(np, off, itemLen)
	case 37, 38, 42, 44, 45, 47, 48:
		return k.v2Generic(np, off, itemLen)
	case 39:
		return k.v2Auth(np, off, itemLen)
	case 40:
		return k.v2Nonce(np, off, itemLen)
	case 41:
		return k.v2Notify(off, itemLen)
	case 43:
		return k.v2VID(np, off, itemLen)
	}
	k.p.npName(np)
	return off + itemLen
}
