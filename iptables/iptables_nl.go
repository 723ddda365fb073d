package iptables

// Translation of the nf_tables rules iptables-nft v1.8.9 writes back into the
// text iptables-nft-save -c prints. The translator is strict: it accepts only
// the expression sequences iptables-nft generates for the options below and
// returns ErrUntranslatable for anything else, so that the caller can
// run the binary instead of showing a guess.
//
// Native (nf_tables) forms: -i/-o (meta iifname/oifname), -s/-d (payload,
// bitwise, cmp), -p (meta l4proto), -f, tcp/udp --sport/--dport, tcp
// --tcp-flags, -m mark, -m limit, counters, ACCEPT/DROP/RETURN, -j/-g CHAIN.
// xt compat matches: comment, conntrack (and its state alias), addrtype,
// statistic, multiport, tcp, udp. xt compat targets: DNAT, SNAT, MASQUERADE,
// REDIRECT, MARK, REJECT, LOG.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/internal/nfexpr"
	"github.com/netdiag/netdiag/internal/nfnl"
)

// Values of nf_tables expressions (linux/netfilter/nf_tables.h).
const (
	metaMark    = 3
	metaIIFName = 6
	metaOIFName = 7
	metaL4Proto = 16

	cmpEQ  = 0
	cmpNEQ = 1
	cmpLT  = 2
	cmpLTE = 3
	cmpGT  = 4
	cmpGTE = 5

	payloadNetwork   = 1
	payloadTransport = 2
)

// nlExpr is one decoded expression and, in bad, why the translator refuses
// it whatever comes around it.
type nlExpr struct {
	nfexpr.Expr
	bad string
}

// Attributes iptables-nft writes for a payload load and a bitwise mask.
const (
	payloadLoadAttrs = 1<<nfexpr.PayloadDReg | 1<<nfexpr.PayloadBase | 1<<nfexpr.PayloadOff | 1<<nfexpr.PayloadLen
	bitwiseAttrs     = 1<<nfexpr.BitwiseSReg | 1<<nfexpr.BitwiseDReg | 1<<nfexpr.BitwiseLen | 1<<nfexpr.BitwiseMask | 1<<nfexpr.BitwiseXor | 1<<nfexpr.BitwiseOp
)

// decodeNLExpr decodes one NFTA_LIST_ELEM of a rule's expressions.
func decodeNLExpr(b []byte, e *nlExpr) {
	e.bad = ""
	if err := nfexpr.Decode(b, &e.Expr); err != nil {
		e.bad = "malformed attributes"
		return
	}
	switch e.Kind {
	case nfexpr.Meta, nfexpr.Payload, nfexpr.Bitwise, nfexpr.Cmp, nfexpr.Range, nfexpr.Counter, nfexpr.Immediate,
		nfexpr.Match, nfexpr.Target, nfexpr.Limit:
	default:
		return // refused by translateRule, whatever its attributes
	}
	switch {
	case e.Malformed, e.Kind == nfexpr.Immediate && e.Has(nfexpr.ImmediateData) && !e.HasVerdict:
		e.bad = "malformed attributes"
	case e.Kind == nfexpr.Meta && e.Write:
		e.bad = "meta set"
	case e.Kind == nfexpr.Payload && e.Seen&^payloadLoadAttrs != 0:
		e.bad = "payload write"
	case e.Kind == nfexpr.Bitwise && e.Seen&^bitwiseAttrs != 0:
		e.bad = "bitwise with data"
	case e.Kind == nfexpr.Bitwise && e.Op != 0:
		e.bad = "bitwise shift"
	case e.Kind == nfexpr.Immediate && e.Data != nil:
		e.bad = "immediate data"
	}
}

// iptAddr is -s or -d.
type iptAddr struct {
	set, inv   bool
	addr, mask [16]byte
}

// iptPorts is the native tcp or udp match iptables-nft builds from payload
// expressions, as struct xt_tcp / xt_udp.
type iptPorts struct {
	proto        string // "tcp" or "udp"
	spts, dpts   [2]uint16
	sinv, dinv   bool
	flgMask, flg uint8
	flgInv       bool
}

// iptRule collects the parts of one rule in the order iptables-nft-save
// prints them.
type iptRule struct {
	fam               uint8 // 2 (ip) or 10 (ip6)
	src, dst          iptAddr
	in, out           string
	inInv, outInv     bool
	proto             uint8
	protoSet, protInv bool
	frag, fragSet     bool
	matches           []string // " -m NAME …" in rule order; "" marks the native port match
	ports             *iptPorts
	target            string // " -j …" or " -g …"
	packets, bytes    uint64
	counted           bool
}

// untranslatable builds the error for an expression of a rule.
func untranslatable(chain string, handle uint64, expr, why string) error {
	return fmt.Errorf("%w: chain %s rule handle %d: expression %s: %s", ErrUntranslatable, chain, handle, expr, why)
}

// translateRule turns the decoded expressions of one rule into the text after
// "-A CHAIN " and the rule's counters.
func translateRule(fam uint8, chain string, handle uint64, exprs []nlExpr) (Rule, error) {
	r := iptRule{fam: fam}
	fail := func(e *nlExpr, why string) (Rule, error) {
		name := e.Name
		if e.XTName != "" {
			name += " " + e.XTName
		}
		return Rule{}, untranslatable(chain, handle, name, why)
	}
	for i := 0; i < len(exprs); i++ {
		e := &exprs[i]
		if e.bad != "" {
			return fail(e, e.bad)
		}
		if r.target != "" {
			return fail(e, "expression after the verdict")
		}
		switch e.Kind {
		case nfexpr.Counter:
			if r.counted {
				return fail(e, "second counter")
			}
			r.counted, r.packets, r.bytes = true, e.Packets, e.Bytes
		case nfexpr.Immediate:
			if e.DReg != 0 {
				return fail(e, "immediate to a data register")
			}
			switch e.Verdict {
			case 1:
				r.target = " -j ACCEPT"
			case 0:
				r.target = " -j DROP"
			case -5:
				r.target = " -j RETURN"
			case -3:
				r.target = " -j " + e.Chain
			case -4:
				r.target = " -g " + e.Chain
			default:
				return fail(e, "verdict "+strconv.Itoa(int(e.Verdict)))
			}
			if (e.Verdict == -3 || e.Verdict == -4) && !iptSafeWord(e.Chain) {
				return fail(e, "chain name "+strconv.Quote(e.Chain))
			}
		case nfexpr.Target:
			s, err := xtTargetSave(fam, e.XTName, e.Rev, e.Data)
			if err != nil {
				return fail(e, err.Error())
			}
			r.target = " -j " + e.XTName + s
		case nfexpr.Match:
			s, err := xtMatchSave(fam, e.XTName, e.Rev, e.Data)
			if err != nil {
				return fail(e, err.Error())
			}
			r.matches = append(r.matches, s)
		case nfexpr.Limit:
			s, err := limitSave(e)
			if err != nil {
				return fail(e, err.Error())
			}
			r.matches = append(r.matches, " -m limit"+s)
		case nfexpr.Meta, nfexpr.Payload:
			// A load, an optional bitwise on the same register, and a cmp
			// or range reading it.
			var bw, cmp *nlExpr
			j := i + 1
			if j < len(exprs) && exprs[j].Kind == nfexpr.Bitwise {
				bw = &exprs[j]
				if bw.bad != "" {
					return fail(bw, bw.bad)
				}
				j++
			}
			if j >= len(exprs) || (exprs[j].Kind != nfexpr.Cmp && exprs[j].Kind != nfexpr.Range) {
				return fail(e, "load not followed by a comparison")
			}
			cmp = &exprs[j]
			if cmp.bad != "" {
				return fail(cmp, cmp.bad)
			}
			if bw != nil && (bw.SReg != e.DReg || bw.DReg != e.DReg || !allZero(bw.Data2) || len(bw.Data) != int(bw.Len) || len(bw.Data2) != int(bw.Len)) {
				return fail(bw, "bitwise other than a mask on the loaded register")
			}
			if cmp.SReg != e.DReg {
				return fail(cmp, "comparison of another register")
			}
			var err error
			if e.Kind == nfexpr.Meta {
				err = r.meta(e, bw, cmp)
			} else {
				err = r.payload(e, bw, cmp)
			}
			if err != nil {
				return fail(e, err.Error())
			}
			i = j
		default:
			return fail(e, "not written by iptables-nft for a translatable option")
		}
	}
	if err := r.check(); err != nil {
		return Rule{}, untranslatable(chain, handle, "meta l4proto", err.Error())
	}
	return Rule{Packets: r.packets, Bytes: r.bytes, Spec: r.render(), Handle: handle}, nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// iptSafeWord reports whether s prints the same in iptables-save and survives
// SplitArgs: no spaces, quotes or control characters.
func iptSafeWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			return false
		}
	}
	return true
}

func (r *iptRule) meta(e, bw, cmp *nlExpr) error {
	if cmp.Kind != nfexpr.Cmp {
		return errors.New("range on meta")
	}
	inv := false
	switch cmp.Op {
	case cmpEQ:
	case cmpNEQ:
		inv = true
	default:
		return errors.New("meta comparison other than == or !=")
	}
	switch e.Key {
	case metaIIFName, metaOIFName:
		if bw != nil {
			return errors.New("masked interface name")
		}
		name, err := ifnameFromCmp(cmp.Data)
		if err != nil {
			return err
		}
		if e.Key == metaIIFName {
			if r.in != "" {
				return errors.New("second -i")
			}
			r.in, r.inInv = name, inv
		} else {
			if r.out != "" {
				return errors.New("second -o")
			}
			r.out, r.outInv = name, inv
		}
	case metaL4Proto:
		if bw != nil || len(cmp.Data) != 1 || r.protoSet {
			return errors.New("unexpected l4proto form")
		}
		r.proto, r.protoSet, r.protInv = cmp.Data[0], true, inv
	case metaMark:
		if len(cmp.Data) != 4 {
			return errors.New("mark of unexpected size")
		}
		mark := binary.NativeEndian.Uint32(cmp.Data)
		mask := uint32(0xffffffff)
		if bw != nil {
			if len(bw.Data) != 4 {
				return errors.New("mark mask of unexpected size")
			}
			mask = binary.NativeEndian.Uint32(bw.Data)
		}
		r.matches = append(r.matches, " -m mark"+markSave(inv, mark, mask))
	default:
		return fmt.Errorf("meta key %d", e.Key)
	}
	return nil
}

// ifnameFromCmp reads an interface name as iptables-nft compares it: with its
// NUL for an exact name, without for a "+" wildcard.
func ifnameFromCmp(d []byte) (string, error) {
	if len(d) == 0 || len(d) > 16 {
		return "", errors.New("interface name of unexpected length")
	}
	wild := d[len(d)-1] != 0
	name := d
	if i := nfnl.IndexByte(d, 0); i >= 0 {
		if !allZero(d[i:]) {
			return "", errors.New("interface name with bytes after its NUL")
		}
		name = d[:i]
	}
	if len(name) == 0 || (wild && len(d) >= 16) || !iptSafeWord(string(name)) {
		return "", errors.New("interface name not printable as iptables does")
	}
	if wild {
		return string(name) + "+", nil
	}
	return string(name), nil
}

func (r *iptRule) payload(e, bw, cmp *nlExpr) error {
	switch e.Base {
	case payloadNetwork:
		return r.networkPayload(e, bw, cmp)
	case payloadTransport:
		return r.transportPayload(e, bw, cmp)
	}
	return fmt.Errorf("payload base %d", e.Base)
}

func (r *iptRule) networkPayload(e, bw, cmp *nlExpr) error {
	if cmp.Kind != nfexpr.Cmp || (cmp.Op != cmpEQ && cmp.Op != cmpNEQ) {
		return errors.New("network header comparison other than == or !=")
	}
	inv := cmp.Op == cmpNEQ
	alen := uint32(4)
	srcOff, dstOff := uint32(12), uint32(16)
	if r.fam == 10 {
		alen, srcOff, dstOff = 16, 8, 24
	}
	if r.fam == 2 && e.Offset == 6 && e.Len == 2 {
		// -f: fragment offset != 0.
		if bw == nil || len(bw.Data) != 2 || bw.Data[0] != 0x1f || bw.Data[1] != 0xff || len(cmp.Data) != 2 || !allZero(cmp.Data) || r.fragSet {
			return errors.New("unexpected fragment test")
		}
		r.fragSet, r.frag = true, inv // "!= 0" is -f, "== 0" is ! -f
		return nil
	}
	var a *iptAddr
	switch e.Offset {
	case srcOff:
		a = &r.src
	case dstOff:
		a = &r.dst
	default:
		return fmt.Errorf("network header offset %d", e.Offset)
	}
	if a.set || e.Len == 0 || e.Len > alen || len(cmp.Data) != int(e.Len) {
		return errors.New("unexpected address comparison")
	}
	a.set, a.inv = true, inv
	copy(a.addr[:], cmp.Data)
	if bw != nil {
		if len(bw.Data) != int(e.Len) {
			return errors.New("address mask of unexpected size")
		}
		copy(a.mask[:], bw.Data)
	} else {
		for i := uint32(0); i < e.Len; i++ {
			a.mask[i] = 0xff
		}
	}
	return nil
}

func (r *iptRule) transportPayload(e, bw, cmp *nlExpr) error {
	if !r.protoSet || r.protInv || (r.proto != 6 && r.proto != 17) {
		return errors.New("transport header match without -p tcp or -p udp")
	}
	name := "tcp"
	if r.proto == 17 {
		name = "udp"
	}
	if r.ports != nil && r.ports.proto != name {
		return errors.New("ports of two protocols")
	}
	if r.ports == nil {
		r.ports = &iptPorts{proto: name, spts: [2]uint16{0, 0xffff}, dpts: [2]uint16{0, 0xffff}}
		r.matches = append(r.matches, "")
	}
	p := r.ports
	switch {
	case e.Offset == 13 && e.Len == 1 && name == "tcp":
		if bw == nil || len(bw.Data) != 1 || cmp.Kind != nfexpr.Cmp || len(cmp.Data) != 1 || (cmp.Op != cmpEQ && cmp.Op != cmpNEQ) || p.flgMask != 0 {
			return errors.New("unexpected tcp flags test")
		}
		if bw.Data[0]&^0x3f != 0 || cmp.Data[0]&^bw.Data[0] != 0 || bw.Data[0] == 0 {
			return errors.New("tcp flags outside FIN..URG")
		}
		p.flgMask, p.flg, p.flgInv = bw.Data[0], cmp.Data[0], cmp.Op == cmpNEQ
		return nil
	case bw != nil:
		return errors.New("masked port")
	case e.Offset == 0 && e.Len == 4:
		if cmp.Kind != nfexpr.Cmp || len(cmp.Data) != 4 || (cmp.Op != cmpEQ && cmp.Op != cmpNEQ) || !p.fresh() {
			return errors.New("unexpected port pair")
		}
		sp, dp := binary.BigEndian.Uint16(cmp.Data), binary.BigEndian.Uint16(cmp.Data[2:])
		p.spts, p.dpts = [2]uint16{sp, sp}, [2]uint16{dp, dp}
		p.sinv, p.dinv = cmp.Op == cmpNEQ, cmp.Op == cmpNEQ
		return nil
	case (e.Offset == 0 || e.Offset == 2) && e.Len == 2:
		pts, inv := &p.spts, &p.sinv
		if e.Offset == 2 {
			pts, inv = &p.dpts, &p.dinv
		}
		if *pts != [2]uint16{0, 0xffff} {
			return errors.New("second test of the same port")
		}
		lo, hi, neg, err := portRange(cmp)
		if err != nil {
			return err
		}
		*pts, *inv = [2]uint16{lo, hi}, neg
		return nil
	}
	return fmt.Errorf("transport header offset %d length %d", e.Offset, e.Len)
}

func (p *iptPorts) fresh() bool {
	return p.spts == [2]uint16{0, 0xffff} && p.dpts == [2]uint16{0, 0xffff}
}

// portRange reads the port comparisons iptables-nft 1.8.9 writes: == and !=
// for one port, <= for 0:N, > for an inverted 0:N (saved as N+1:65535), and a
// range expression otherwise.
func portRange(c *nlExpr) (lo, hi uint16, inv bool, err error) {
	if len(c.Data) != 2 {
		return 0, 0, false, errors.New("port of unexpected size")
	}
	v := binary.BigEndian.Uint16(c.Data)
	if c.Kind == nfexpr.Range {
		if len(c.Data2) != 2 || (c.Op != 0 && c.Op != 1) {
			return 0, 0, false, errors.New("unexpected port range")
		}
		return v, binary.BigEndian.Uint16(c.Data2), c.Op == 1, nil
	}
	switch c.Op {
	case cmpEQ:
		return v, v, false, nil
	case cmpNEQ:
		return v, v, true, nil
	case cmpLTE:
		return 0, v, false, nil
	case cmpGT:
		if v == 0xffff {
			return 0, 0, false, errors.New("empty port range")
		}
		return v + 1, 0xffff, false, nil
	}
	return 0, 0, false, errors.New("port comparison " + strconv.Itoa(int(c.Op)))
}

// render prints the rule like nft_ipv4_save_rule / nft_ipv6_save_rule.
func (r *iptRule) render() string {
	var b strings.Builder
	b.Grow(128)
	r.saveAddr(&b, 's', &r.src)
	r.saveAddr(&b, 'd', &r.dst)
	if r.in != "" {
		if r.inInv {
			b.WriteString(" !")
		}
		b.WriteString(" -i ")
		b.WriteString(r.in)
	}
	if r.out != "" {
		if r.outInv {
			b.WriteString(" !")
		}
		b.WriteString(" -o ")
		b.WriteString(r.out)
	}
	if r.protoSet && r.proto != 0 {
		if r.protInv {
			b.WriteString(" !")
		}
		b.WriteString(" -p ")
		b.WriteString(iptProtoNames[r.proto])
	}
	if r.fragSet {
		if !r.frag {
			b.WriteString(" !")
		}
		b.WriteString(" -f")
	}
	for _, m := range r.matches {
		if m == "" {
			m = r.ports.save()
		}
		b.WriteString(m)
	}
	b.WriteString(r.target)
	s := b.String()
	return strings.TrimPrefix(s, " ")
}

// iptProtoNames are the protocols iptables names from its own table
// (xtables_chain_protos) rather than from /etc/protocols, so the name does not
// depend on the node's files.
var iptProtoNames = map[uint8]string{6: "tcp", 17: "udp", 1: "icmp", 132: "sctp", 136: "udplite", 50: "esp", 51: "ah"}

func (r *iptRule) check() error {
	if r.protoSet && r.proto != 0 {
		if _, ok := iptProtoNames[r.proto]; !ok {
			return fmt.Errorf("protocol %d is named from the node's /etc/protocols", r.proto)
		}
	}
	return nil
}

func (r *iptRule) saveAddr(b *strings.Builder, letter byte, a *iptAddr) {
	n := 4
	if r.fam == 10 {
		n = 16
	}
	if !a.set || (!a.inv && allZero(a.mask[:n]) && allZero(a.addr[:n])) {
		return
	}
	if a.inv {
		b.WriteString(" !")
	}
	b.WriteString(" -")
	b.WriteByte(letter)
	b.WriteByte(' ')
	if n == 4 {
		b.WriteString(netip.AddrFrom4([4]byte(a.addr[:4])).String())
	} else {
		b.WriteString(inet6String(a.addr))
	}
	b.WriteByte('/')
	if bits, ok := maskBits(a.mask[:n]); ok {
		b.WriteString(strconv.Itoa(bits))
	} else if n == 4 {
		b.WriteString(netip.AddrFrom4([4]byte(a.mask[:4])).String())
	} else {
		b.WriteString(inet6String(a.mask))
	}
}

// maskBits returns the prefix length of a contiguous mask.
func maskBits(m []byte) (int, bool) {
	bits := 0
	i := 0
	for ; i < len(m) && m[i] == 0xff; i++ {
		bits += 8
	}
	if i < len(m) {
		x := m[i]
		for x&0x80 != 0 {
			bits++
			x <<= 1
		}
		if x != 0 || !allZero(m[i+1:]) {
			return 0, false
		}
	}
	return bits, true
}

// inet6String formats like glibc inet_ntop (which iptables uses): the longest
// run of two or more zero groups becomes "::" (the first on ties), and an
// address whose first 96 bits are zero, or ::ffff:0:0/96, ends in dotted
// IPv4.
func inet6String(a [16]byte) string {
	var w [8]uint16
	for i := range w {
		w[i] = binary.BigEndian.Uint16(a[2*i:])
	}
	best, bestLen, cur, curLen := -1, 0, -1, 0
	for i := 0; i < 8; i++ {
		if w[i] == 0 {
			if cur < 0 {
				cur, curLen = i, 0
			}
			curLen++
			if curLen > bestLen {
				best, bestLen = cur, curLen
			}
		} else {
			cur = -1
		}
	}
	if bestLen < 2 {
		best = -1
	}
	var b strings.Builder
	for i := 0; i < 8; i++ {
		if best >= 0 && i >= best && i < best+bestLen {
			if i == best {
				b.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			b.WriteByte(':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			b.WriteString(netip.AddrFrom4([4]byte(a[12:])).String())
			break
		}
		b.WriteString(strconv.FormatUint(uint64(w[i]), 16))
	}
	if best >= 0 && best+bestLen == 8 {
		b.WriteByte(':')
	}
	return b.String()
}

func (p *iptPorts) save() string {
	var b strings.Builder
	b.WriteString(" -m ")
	b.WriteString(p.proto)
	writePorts(&b, "--sport", p.spts, p.sinv)
	writePorts(&b, "--dport", p.dpts, p.dinv)
	if p.flgMask != 0 || p.flgInv {
		if p.flgInv {
			b.WriteString(" !")
		}
		b.WriteString(" --tcp-flags ")
		b.WriteString(tcpFlags(p.flgMask))
		b.WriteByte(' ')
		b.WriteString(tcpFlags(p.flg))
	}
	return b.String()
}

// writePorts is the port part of tcp_save / udp_save.
func writePorts(b *strings.Builder, opt string, pts [2]uint16, inv bool) {
	if pts[0] == 0 && pts[1] == 0xffff {
		return
	}
	if inv {
		b.WriteString(" !")
	}
	b.WriteString(" " + opt + " " + strconv.Itoa(int(pts[0])))
	if pts[0] != pts[1] {
		b.WriteString(":" + strconv.Itoa(int(pts[1])))
	}
}

// tcpFlags is libxt_tcp print_tcpf.
func tcpFlags(f uint8) string {
	if f == 0 {
		return "NONE"
	}
	names := []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG"}
	var out []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

func markSave(inv bool, mark, mask uint32) string {
	s := ""
	if inv {
		s = " !"
	}
	s += " --mark 0x" + strconv.FormatUint(uint64(mark), 16)
	if mask != 0xffffffff {
		s += "/0x" + strconv.FormatUint(uint64(mask), 16)
	}
	return s
}

// limitSave is libxt_limit's save of the rate iptables-nft reads back from a
// native limit expression: avg = XT_LIMIT_SCALE * unit / rate.
func limitSave(e *nlExpr) (string, error) {
	if e.Type != 0 || e.Flags != 0 || e.Rate == 0 || e.Unit == 0 {
		return "", errors.New("limit other than packets, not inverted")
	}
	avg := uint32(10000 * e.Unit / e.Rate)
	s := " --limit" + limitRate(avg)
	if e.Burst != 5 {
		s += " --limit-burst " + strconv.FormatUint(uint64(e.Burst), 10)
	}
	return s, nil
}

func limitRate(period uint32) string {
	if period == 0 {
		return " inf"
	}
	rates := []struct {
		name string
		mult uint32
	}{{"day", 10000 * 24 * 60 * 60}, {"hour", 10000 * 60 * 60}, {"min", 10000 * 60}, {"sec", 10000}}
	i := 1
	for ; i < len(rates); i++ {
		if period > rates[i].mult || rates[i].mult/period < rates[i].mult%period {
			break
		}
	}
	return " " + strconv.FormatUint(uint64(rates[i-1].mult/period), 10) + "/" + rates[i-1].name
}

// xtSaveString is xtables_save_string: bare when only [_-0-9a-zA-Z], else
// double-quoted with \ before " \ and '.
func xtSaveString(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			plain = false
			break
		}
	}
	if plain {
		return " " + s
	}
	var b strings.Builder
	b.WriteString(` "`)
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' || s[i] == '\'' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// cString reads a fixed-size NUL-padded C string field.
func cString(b []byte) (string, bool) {
	i := nfnl.IndexByte(b, 0)
	if i < 0 {
		return "", false
	}
	return string(b[:i]), true
}

// printableText reports whether s has no control characters: iptables-save
// prints them raw, and a newline would break the line-based format.
func printableText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func ne16(b []byte) uint16 { return binary.NativeEndian.Uint16(b) }
func ne32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }

var errXTSize = errors.New("info of unexpected size")

// xtAlign is XT_ALIGN: the kernel reports match and target info padded to 8
// bytes (NFTA_MATCH_INFO, NFTA_TARGET_INFO); the padding is not read.
func xtAlign(n int) int { return (n + 7) &^ 7 }

// xtMatchSave returns " -m NAME" and the options of an xt compat match, as
// the extension's save function prints them.
func xtMatchSave(fam uint8, name string, rev uint32, d []byte) (string, error) {
	switch {
	case name == "comment" && rev == 0:
		if len(d) != xtAlign(256) {
			return "", errXTSize
		}
		c, ok := cString(d)
		if !ok || !printableText(c) {
			return "", errors.New("comment not printable")
		}
		return " -m comment --comment" + xtSaveString(c), nil
	case name == "conntrack" && rev == 3:
		return conntrackSave(d)
	case name == "addrtype" && rev == 1:
		return addrtypeSave(d)
	case name == "statistic" && rev == 0:
		return statisticSave(d)
	case name == "multiport" && rev == 1:
		return multiportSave(d)
	case (name == "tcp" || name == "udp") && rev == 0:
		return tcpUDPSave(name, d)
	}
	return "", fmt.Errorf("match %s revision %d is not translated", name, rev)
}

// struct xt_conntrack_mtinfo3 field offsets.
const (
	ctInfo3Size    = 164
	ctMatchFlags   = 146
	ctInvertFlags  = 148
	ctStateMask    = 150
	ctStatusMask   = 152
	ctFlagState    = 1 << 0
	ctFlagStatus   = 1 << 6
	ctFlagDir      = 1 << 12
	ctFlagAlias    = 1 << 13
	ctStateInvalid = 1 << 0
)

func conntrackSave(d []byte) (string, error) {
	if len(d) != xtAlign(ctInfo3Size) {
		return "", errXTSize
	}
	flags, inv := ne16(d[ctMatchFlags:]), ne16(d[ctInvertFlags:])
	state, status := ne16(d[ctStateMask:]), ne16(d[ctStatusMask:])
	if flags&ctFlagAlias != 0 {
		// -m state: libxt_state's save of the conntrack alias.
		if flags != ctFlagAlias|ctFlagState || inv&^ctFlagState != 0 {
			return "", errors.New("state alias with other conntrack options")
		}
		s, ok := ctStates(state, false)
		if !ok {
			return "", errors.New("unknown state bits")
		}
		out := " -m state"
		if inv != 0 {
			out += " !"
		}
		return out + " --state " + s, nil
	}
	if flags&^(ctFlagState|ctFlagStatus|ctFlagDir) != 0 {
		return "", fmt.Errorf("conntrack options 0x%x are not translated", flags)
	}
	if inv&^flags != 0 {
		return "", errors.New("conntrack invert flags without their options")
	}
	out := " -m conntrack"
	if flags&ctFlagState != 0 {
		s, ok := ctStates(state, true)
		if !ok {
			return "", errors.New("unknown ctstate bits")
		}
		if inv&ctFlagState != 0 {
			out += " !"
		}
		out += " --ctstate " + s
	}
	if flags&ctFlagStatus != 0 {
		if status == 0 || status&^0xf != 0 {
			return "", errors.New("unknown ctstatus bits")
		}
		if inv&ctFlagStatus != 0 {
			out += " !"
		}
		var names []string
		for i, n := range []string{"EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED"} {
			if status&(1<<i) != 0 {
				names = append(names, n)
			}
		}
		out += " --ctstatus " + strings.Join(names, ",")
	}
	if flags&ctFlagDir != 0 {
		if inv&ctFlagDir != 0 {
			out += " --ctdir REPLY"
		} else {
			out += " --ctdir ORIGINAL"
		}
	}
	return out, nil
}

// ctStates prints a conntrack state mask in libxt_conntrack's order; SNAT and
// DNAT only exist for --ctstate.
func ctStates(m uint16, ct bool) (string, bool) {
	type st struct {
		bit  uint16
		name string
	}
	order := []st{{ctStateInvalid, "INVALID"}, {1 << 3, "NEW"}, {1 << 2, "RELATED"}, {1 << 1, "ESTABLISHED"}, {1 << 8, "UNTRACKED"}}
	if ct {
		order = append(order, st{1 << 6, "SNAT"}, st{1 << 7, "DNAT"})
	}
	var names []string
	left := m
	for _, s := range order {
		if m&s.bit != 0 {
			names = append(names, s.name)
			left &^= s.bit
		}
	}
	if left != 0 || len(names) == 0 {
		return "", false
	}
	return strings.Join(names, ","), true
}

var rtnNames = []string{"UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE"}

func addrtypeSave(d []byte) (string, error) {
	if len(d) != xtAlign(8) {
		return "", errXTSize
	}
	src, dst, flags := ne16(d), ne16(d[2:]), ne32(d[4:])
	if flags&^0xf != 0 || (src|dst)>>len(rtnNames) != 0 {
		return "", errors.New("unknown addrtype bits")
	}
	types := func(m uint16) string {
		var n []string
		for i, s := range rtnNames {
			if m&(1<<i) != 0 {
				n = append(n, s)
			}
		}
		return strings.Join(n, ",")
	}
	out := " -m addrtype"
	if src != 0 {
		if flags&1 != 0 {
			out += " !"
		}
		out += " --src-type " + types(src)
	}
	if dst != 0 {
		if flags&2 != 0 {
			out += " !"
		}
		out += " --dst-type " + types(dst)
	}
	if flags&4 != 0 {
		out += " --limit-iface-in"
	}
	if flags&8 != 0 {
		out += " --limit-iface-out"
	}
	return out, nil
}

func statisticSave(d []byte) (string, error) {
	// struct xt_statistic_info: mode, flags (u16), then random.probability
	// or nth.every/packet/count (u32), then an 8-byte-aligned kernel pointer.
	if len(d) != xtAlign(24) {
		return "", errXTSize
	}
	mode, flags := ne16(d), ne16(d[2:])
	if flags&^1 != 0 {
		return "", errors.New("unknown statistic flags")
	}
	inv := ""
	if flags&1 != 0 {
		inv = " !"
	}
	switch mode {
	case 0:
		p := float64(ne32(d[4:])) / 0x80000000
		return " -m statistic --mode random" + inv + " --probability " + strconv.FormatFloat(p, 'f', 11, 64), nil
	case 1:
		every, packet := ne32(d[4:]), ne32(d[8:])
		// print_match prints --packet always when saving.
		return " -m statistic --mode nth" + inv + " --every " + strconv.FormatUint(uint64(every)+1, 10) + " --packet " + strconv.FormatUint(uint64(packet), 10), nil
	}
	return "", errors.New("unknown statistic mode")
}

func multiportSave(d []byte) (string, error) {
	// struct xt_multiport_v1: flags, count (u8), ports[15] (u16),
	// pflags[15] (u8), invert (u8).
	if len(d) != xtAlign(48) {
		return "", errXTSize
	}
	flags, count, inv := d[0], int(d[1]), d[47]
	if count == 0 || count > 15 || inv > 1 {
		return "", errors.New("bad multiport count")
	}
	out := " -m multiport"
	if inv == 1 {
		out += " !"
	}
	switch flags {
	case 0:
		out += " --sports "
	case 1:
		out += " --dports "
	case 2:
		out += " --ports "
	default:
		return "", errors.New("unknown multiport flags")
	}
	port := func(i int) string { return strconv.Itoa(int(ne16(d[2+2*i:]))) }
	for i := 0; i < count; i++ {
		if i > 0 {
			out += ","
		}
		out += port(i)
		if d[32+i] != 0 {
			if i+1 >= 15 {
				return "", errors.New("multiport range past the end")
			}
			i++
			out += ":" + port(i)
		}
	}
	return out, nil
}

func tcpUDPSave(name string, d []byte) (string, error) {
	// struct xt_tcp: spts[2], dpts[2] (u16), option, flg_mask, flg_cmp,
	// invflags (u8), padded to 12; struct xt_udp: spts[2], dpts[2],
	// invflags, padded to 10. Inversion bits: source port 1, destination
	// port 2, tcp flags 4, tcp option 8.
	want, invMask := 10, byte(0x03)
	if name == "tcp" {
		want, invMask = 12, 0x07
	}
	if len(d) != xtAlign(want) {
		return "", errXTSize
	}
	p := iptPorts{proto: name, spts: [2]uint16{ne16(d), ne16(d[2:])}, dpts: [2]uint16{ne16(d[4:]), ne16(d[6:])}}
	inv := d[8]
	if name == "tcp" {
		if d[8] != 0 {
			return "", errors.New("--tcp-option is not translated")
		}
		p.flgMask, p.flg, inv = d[9], d[10], d[11]
		if p.flgMask&^0x3f != 0 || p.flg&^0x3f != 0 {
			return "", errors.New("unknown tcp flags")
		}
	}
	if inv&^invMask != 0 {
		return "", errors.New("unknown inversion flags")
	}
	p.sinv, p.dinv, p.flgInv = inv&0x01 != 0, inv&0x02 != 0, inv&0x04 != 0
	if p.spts[0] > p.spts[1] || p.dpts[0] > p.dpts[1] {
		return "", errors.New("reversed port range")
	}
	return p.save(), nil
}

// xtTargetSave returns the options of an xt compat target after "-j NAME".
func xtTargetSave(fam uint8, name string, rev uint32, d []byte) (string, error) {
	switch {
	case name == "MARK" && rev == 2:
		if len(d) != xtAlign(8) {
			return "", errXTSize
		}
		return fmt.Sprintf(" --set-xmark 0x%x/0x%x", ne32(d), ne32(d[4:])), nil
	case name == "REJECT" && rev == 0:
		if len(d) != xtAlign(4) {
			return "", errXTSize
		}
		names := rejectV4
		if fam == 10 {
			names = rejectV6
		}
		w := ne32(d)
		if int(w) >= len(names) || names[w] == "" {
			return "", errors.New("unknown reject type")
		}
		return " --reject-with " + names[w], nil
	case name == "LOG" && rev == 0:
		return logSave(d)
	// Only the revisions iptables-nft 1.8.9 writes on a current kernel, which
	// the differential tests cover.
	case fam == 2 && rev == 0 && (name == "MASQUERADE" || name == "REDIRECT" || name == "SNAT"):
		return natCompatSave(name, d)
	case fam == 10 && rev == 0 && (name == "MASQUERADE" || name == "REDIRECT"):
		return natRangeSave(fam, name, d, false)
	case fam == 10 && rev == 1 && name == "SNAT":
		return natRangeSave(fam, name, d, false)
	case rev == 2 && name == "DNAT":
		return natRangeSave(fam, name, d, true)
	}
	return "", fmt.Errorf("target %s revision %d is not translated", name, rev)
}

var rejectV4 = []string{"icmp-net-unreachable", "icmp-host-unreachable", "icmp-proto-unreachable", "icmp-port-unreachable", "", "icmp-net-prohibited", "icmp-host-prohibited", "tcp-reset", "icmp-admin-prohibited"}

var rejectV6 = []string{"icmp6-no-route", "icmp6-adm-prohibited", "", "icmp6-addr-unreachable", "icmp6-port-unreachable", "", "tcp-reset", "icmp6-policy-fail", "icmp6-reject-route"}

func logSave(d []byte) (string, error) {
	// struct xt_log_info: level, logflags (u8), prefix[30].
	if len(d) != xtAlign(32) {
		return "", errXTSize
	}
	level, flags := d[0], d[1]
	prefix, ok := cString(d[2:])
	if !ok || !printableText(prefix) || level > 7 || flags&^0x2f != 0 {
		return "", errors.New("unexpected LOG options")
	}
	out := ""
	if prefix != "" {
		out += " --log-prefix" + xtSaveString(prefix)
	}
	if level != 4 {
		out += " --log-level " + strconv.Itoa(int(level))
	}
	for _, f := range []struct {
		bit  byte
		name string
	}{{1, "--log-tcp-sequence"}, {2, "--log-tcp-options"}, {4, "--log-ip-options"}, {8, "--log-uid"}, {0x20, "--log-macdecode"}} {
		if flags&f.bit != 0 {
			out += " " + f.name
		}
	}
	return out, nil
}

// NAT range flags (linux/netfilter/nf_nat.h).
const (
	natMapIPs       = 1
	natProto        = 2
	natRandom       = 4
	natPersistent   = 8
	natRandomFully  = 16
	natProtoOffset  = 32
	natNetmap       = 64
	natKnownCompat  = natMapIPs | natProto | natRandom | natPersistent | natRandomFully
	natCompatLength = 20 // struct nf_nat_ipv4_multi_range_compat with one range
	natRangeLength  = 40 // struct nf_nat_range
	natRange2Length = 44 // struct nf_nat_range2, padded
)

func natCompatSave(name string, d []byte) (string, error) {
	// rangesize (u32), then flags (u32), min_ip, max_ip (be32), min, max (be16).
	if len(d) != xtAlign(natCompatLength) {
		return "", errXTSize
	}
	if ne32(d) != 1 {
		return "", errors.New("NAT with several ranges")
	}
	r := natRange{flags: ne32(d[4:]), minP: binary.BigEndian.Uint16(d[16:]), maxP: binary.BigEndian.Uint16(d[18:])}
	r.minIP, r.maxIP = netip.AddrFrom4([4]byte(d[8:12])).String(), netip.AddrFrom4([4]byte(d[12:16])).String()
	return r.save(name)
}

// natRangeSave decodes struct nf_nat_range (ip6tables' SNAT revision 1,
// MASQUERADE and REDIRECT) and, with v2, nf_nat_range2 (DNAT revision 2):
// flags (u32), min_addr, max_addr (16 bytes), min_proto, max_proto (be16),
// and for v2 base_proto.
func natRangeSave(fam uint8, name string, d []byte, v2 bool) (string, error) {
	size := natRangeLength
	if v2 {
		size = natRange2Length
	}
	if len(d) != xtAlign(size) {
		return "", errXTSize
	}
	r := natRange{flags: ne32(d), minP: binary.BigEndian.Uint16(d[36:]), maxP: binary.BigEndian.Uint16(d[38:]), ip6: fam == 10}
	if r.ip6 {
		r.minIP, r.maxIP = inet6String([16]byte(d[4:20])), inet6String([16]byte(d[20:36]))
	} else {
		r.minIP, r.maxIP = netip.AddrFrom4([4]byte(d[4:8])).String(), netip.AddrFrom4([4]byte(d[20:24])).String()
	}
	return r.save(name)
}

// natRange is one NAT range as the xt targets carry it, addresses already
// formatted.
type natRange struct {
	flags        uint32
	minIP, maxIP string
	minP, maxP   uint16
	ip6          bool
}

// save prints the target's options as libxt_NAT/libxt_MASQUERADE do.
func (r natRange) save(name string) (string, error) {
	if r.flags&^natKnownCompat != 0 {
		return "", errors.New("NAT flags not translated (offset or netmap)")
	}
	ports := func(sep string) string {
		s := sep + strconv.Itoa(int(r.minP))
		if r.maxP != r.minP {
			s += "-" + strconv.Itoa(int(r.maxP))
		}
		return s
	}
	out := ""
	switch name {
	case "MASQUERADE", "REDIRECT":
		if r.flags&(natMapIPs|natPersistent) != 0 || (name == "REDIRECT" && r.flags&natRandomFully != 0) {
			return "", errors.New("unexpected flags")
		}
		if r.flags&natProto != 0 {
			out += " --to-ports" + ports(" ")
		}
		if r.flags&natRandom != 0 {
			out += " --random"
		}
		if r.flags&natRandomFully != 0 {
			out += " --random-fully"
		}
		return out, nil
	}
	opt := " --to-source "
	if name == "DNAT" {
		opt = " --to-destination "
		if r.flags&natRandomFully != 0 {
			return "", errors.New("DNAT --random-fully")
		}
	}
	if r.flags&(natMapIPs|natProto) == 0 {
		return "", errors.New("NAT without address or port")
	}
	out += opt
	if r.flags&natMapIPs != 0 {
		// An IPv6 address is bracketed when a port follows.
		brackets := r.ip6 && r.flags&natProto != 0
		if brackets {
			out += "["
		}
		out += r.minIP
		if r.maxIP != r.minIP {
			out += "-" + r.maxIP
		}
		if brackets {
			out += "]"
		}
	}
	if r.flags&natProto != 0 {
		out += ports(":")
	}
	if r.flags&natRandom != 0 {
		out += " --random"
	}
	if r.flags&natPersistent != 0 {
		out += " --persistent"
	}
	if r.flags&natRandomFully != 0 {
		out += " --random-fully"
	}
	return out, nil
}
