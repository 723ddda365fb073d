package filter

import "strconv"

// The pre-IP link-layer protocols libpcap still filters: 802.2 LLC frames,
// the ISO (OSI) network protocols carried in them, and DECnet Phase IV.

// llcSTypes and llcUTypes are the 802.2 supervisory and unnumbered frame
// types, with the control-byte values of libpcap's llc.h.
var (
	llcSTypes = map[string]uint32{"rr": 0x01, "rnr": 0x05, "rej": 0x09}
	llcUTypes = map[string]uint32{"ui": 0x03, "ua": 0x63, "disc": 0x43, "dm": 0x0f, "sabme": 0x6f,
		"test": 0xe3, "xid": 0xaf, "frmr": 0x87}
)

// llc matches 802.3 frames with an 802.2 header (not Novell's raw 802.3,
// whose DSAP and SSAP are 0xff); kind narrows it to a frame type.
func (g *gen) llc(t token, kind string, kt token) cond {
	if g.lt != EN10MB {
		g.fail(t, "'llc' not supported for %s", g.lt.description())
	}
	b := and(not(cmpOp(g.linkType(0), 2, jJGT, 1500)), not(cmp(g.offLinkPL, 2, 0xffff)))
	if kind == "" {
		return b
	}
	ctl := g.offLinkPL.add(2) // the control byte, after DSAP and SSAP
	name := toLowerASCII(kind)
	switch name {
	case "i":
		return and(b, not(newTest(load(1, ctl), jJSET, 0x01)))
	case "s":
		return and(b, mcmp(ctl, 1, 0x01, 0x03))
	case "u":
		return and(b, mcmp(ctl, 1, 0x03, 0x03))
	}
	if v, ok := llcSTypes[name]; ok {
		return and(b, mcmp(ctl, 1, v, 0x0f))
	}
	if v, ok := llcUTypes[name]; ok {
		return and(b, mcmp(ctl, 1, v, 0xef))
	}
	g.fail(kt, "unknown LLC type name \"%s\"", kind)
	return cond{}
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// snap matches an 802.2 SNAP header (AA AA 03) with this OUI and type.
func (g *gen) snap(oui, ptype uint32) cond {
	w0 := 0xaaaa0300 | oui>>16&0xff
	w1 := (oui&0xffff)<<16 | ptype
	// libpcap compares the last word first.
	return and(cmp(g.offLinkPL.add(4), 4, w1), cmp(g.offLinkPL, 4, w0))
}

// NLPIDs of the ISO protocols (ISO/IEC TR 9577) and IS-IS PDU types.
const (
	nlpidCLNP = 0x81
	nlpidESIS = 0x82
	nlpidISIS = 0x83
)

// isisPDUs are the IS-IS PDU types each abbreviation stands for, in the
// order libpcap joins them.
var isisPDUs = map[string][]uint32{
	"l1":   {26, 24, 18, 15, 17},
	"l2":   {27, 25, 20, 16, 17},
	"iih":  {17, 15, 16},
	"lsp":  {18, 20},
	"snp":  {27, 26, 24, 25},
	"csnp": {24, 25},
	"psnp": {26, 27},
}

// osiAbbrev compiles clnp, esis, isis and the IS-IS PDU abbreviations.
func (g *gen) osiAbbrev(t token, p string) (cond, bool) {
	switch p {
	case "clnp":
		return g.proto(t, nlpidCLNP, "iso"), true
	case "esis":
		return g.proto(t, nlpidESIS, "iso"), true
	case "isis":
		return g.proto(t, nlpidISIS, "iso"), true
	}
	pdus, ok := isisPDUs[p]
	if !ok {
		return cond{}, false
	}
	b := g.proto(t, pdus[len(pdus)-1], "isis")
	for i := len(pdus) - 2; i >= 0; i-- {
		b = or(g.proto(t, pdus[i], "isis"), b)
	}
	return b, true
}

// atodn parses a DECnet address area.node as libpcap's __pcap_atodn does
// (sscanf "%d.%d"): area in the top 6 bits, node in the low 10, anything
// after the node ignored.
func atodn(s string) (uint32, bool) {
	num := func(s string) (int64, string, bool) {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, s, false
		}
		v, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			v = -1
		}
		return v, s[i:], true
	}
	area, rest, ok := num(s)
	if !ok || len(rest) == 0 || rest[0] != '.' {
		return 0, false
	}
	node, _, ok := num(rest[1:])
	if !ok {
		return 0, false
	}
	return uint32(area<<10)&0xfc00 | uint32(node)&0x3ff, true
}

// dnhost matches DECnet routing headers (long and short, with and without
// the padding byte) whose source or destination is addr.
func (g *gen) dnhost(addr uint32, dir string, t token) cond {
	var sh, lh int
	switch dir {
	case "src":
		sh, lh = 3, 15
	case "dst":
		sh, lh = 1, 7
	case "and":
		return and(g.dnhost(addr, "src", t), g.dnhost(addr, "dst", t))
	default:
		return or(g.dnhost(addr, "src", t), g.dnhost(addr, "dst", t))
	}
	// The address is little-endian on the wire.
	a := addr>>8&0xff | addr&0xff<<8
	pl := g.offLinkPL
	b := and(mcmp(pl.add(2), 2, 0x8106, 0xff07), cmp(pl.add(2+1+lh), 2, a))
	b = or(and(mcmp(pl.add(2), 1, 0x06, 0x07), cmp(pl.add(2+lh), 2, a)), b)
	b = or(and(mcmp(pl.add(2), 2, 0x8102, 0xff07), cmp(pl.add(2+1+sh), 2, a)), b)
	b = or(and(mcmp(pl.add(2), 1, 0x02, 0x07), cmp(pl.add(2+sh), 2, a)), b)
	return and(g.linktype(t, 0x6003), b)
}
