package filter

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tNUM
	tHID  // dotted IPv4, possibly partial
	tHID6 // IPv6 address
	tEID  // MAC address
	tAID  // ARCnet address ($ and hex digits)
	tID   // name
	tOp   // punctuation and operators; text holds the operator
	tKw   // keyword; text holds the canonical keyword
)

// token is one lexeme; pos is its 1-based column in the expression, counted
// in characters as a user counts them, not in bytes.
type token struct {
	kind tokKind
	text string // as written, except keywords (canonical) and \escaped IDs (escape removed)
	word string // a keyword as written
	num  uint32
	pos  int
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return strconv.Quote(t.text)
}

// keywords maps libpcap's reserved words to the canonical name the parser uses.
// rnr and rulenum keep a name of their own: after llc, libpcap reads them as
// the LLC frame type RNR.
var keywords = map[string]string{
	"dst": "dst", "src": "src",
	"link": "link", "ether": "link", "ppp": "link", "slip": "link", "fddi": "link", "tr": "link", "wlan": "link",
	"arp": "arp", "rarp": "rarp", "ip": "ip", "sctp": "sctp", "tcp": "tcp", "udp": "udp", "icmp": "icmp",
	"igmp": "igmp", "igrp": "igrp", "pim": "pim", "vrrp": "vrrp", "carp": "carp", "radio": "radio",
	"ip6": "ip6", "icmp6": "icmp6", "ah": "ah", "esp": "esp", "atalk": "atalk", "aarp": "aarp",
	"decnet": "decnet", "lat": "lat", "sca": "sca", "moprc": "moprc", "mopdl": "mopdl", "iso": "iso",
	"esis": "esis", "es-is": "esis", "isis": "isis", "is-is": "isis", "l1": "l1", "l2": "l2", "iih": "iih",
	"lsp": "lsp", "snp": "snp", "csnp": "csnp", "psnp": "psnp", "clnp": "clnp", "stp": "stp", "ipx": "ipx",
	"netbeui": "netbeui", "host": "host", "net": "net", "mask": "mask", "port": "port", "portrange": "portrange",
	"proto": "proto", "protochain": "protochain", "gateway": "gateway", "type": "type", "subtype": "subtype",
	"direction": "dir", "dir": "dir", "address1": "addr1", "addr1": "addr1", "address2": "addr2", "addr2": "addr2",
	"address3": "addr3", "addr3": "addr3", "address4": "addr4", "addr4": "addr4", "ra": "ra", "ta": "ta",
	"less": "less", "greater": "greater", "byte": "byte", "broadcast": "broadcast", "multicast": "multicast",
	"and": "and", "&&": "and", "or": "or", "||": "or", "not": "not", "len": "len", "length": "len",
	"inbound": "inbound", "outbound": "outbound", "ifindex": "ifindex", "vlan": "vlan", "mpls": "mpls",
	"pppoed": "pppoed", "pppoes": "pppoes", "geneve": "geneve", "vxlan": "vxlan", "lane": "lane", "llc": "llc",
	"metac": "atm", "bcc": "atm", "oam": "atm", "oamf4": "atm", "oamf4ec": "atm", "oamf4sc": "atm", "sc": "atm",
	"ilmic": "atm", "vpi": "atm", "vci": "atm", "connectmsg": "atm", "metaconnect": "atm",
	"on": "pf", "ifname": "pf", "rset": "pf", "ruleset": "pf", "rnr": "pfrnr", "rulenum": "pfrnr", "srnr": "pf",
	"subrulenum": "pf", "reason": "pf", "action": "pf", "fisu": "ss7", "lssu": "ss7", "lsu": "ss7", "msu": "ss7",
	"hfisu": "ss7", "hlssu": "ss7", "hmsu": "ss7", "sio": "ss7", "opc": "ss7", "dpc": "ss7", "sls": "ss7",
	"hsio": "ss7", "hopc": "ss7", "hdpc": "ss7", "hsls": "ss7",
}

// namedNums are the symbolic constants libpcap's scanner turns into numbers.
var namedNums = map[string]uint32{
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8,
	"icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12,
	"icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17,
	"icmp-maskreply": 18,
	"icmp6type":      0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3, "icmp6-parameterproblem": 4,
	"icmp6-echo": 128, "icmp6-echoreply": 129, "icmp6-multicastlistenerquery": 130,
	"icmp6-multicastlistenerreportv1": 131, "icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133,
	"icmp6-routeradvert": 134, "icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	"icmp6-routerrenum": 138, "icmp6-nodeinformationquery": 139, "icmp6-nodeinformationresponse": 140,
	"icmp6-ineighbordiscoverysolicit": 141, "icmp6-ineighbordiscoveryadvert": 142,
	"icmp6-multicastlistenerreportv2": 143, "icmp6-homeagentdiscoveryrequest": 144,
	"icmp6-homeagentdiscoveryreply": 145, "icmp6-mobileprefixsolicit": 146, "icmp6-mobileprefixadvert": 147,
	"icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149, "icmp6-multicastrouteradvert": 151,
	"icmp6-multicastroutersolicit": 152, "icmp6-multicastrouterterm": 153,
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08, "tcp-ack": 0x10,
	"tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}

// Lexeme patterns in libpcap scanner order; the longest match wins and ties go
// to the earlier pattern, as in flex.
var (
	reNum   = regexp.MustCompile(`^(?:0[xX][0-9A-Fa-f]+|[0-9]+)`)
	reHID   = regexp.MustCompile(`^(?:0[xX][0-9A-Fa-f]+|[0-9]+)(?:\.(?:0[xX][0-9A-Fa-f]+|[0-9]+)){1,3}`)
	reMAC   = regexp.MustCompile(`^(?:[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}|[0-9A-Fa-f]{1,2}(?:-[0-9A-Fa-f]{1,2}){5}|[0-9A-Fa-f]{1,2}(?:\.[0-9A-Fa-f]{1,2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})`)
	reV6    = regexp.MustCompile(`^[0-9A-Fa-f:][0-9A-Fa-f:.]*`)
	reBogus = regexp.MustCompile(`^[0-9A-Fa-f]{1,2}:+(?:[0-9A-Fa-f]{1,2}:+)+`)
	reID    = regexp.MustCompile(`^[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?`)
	reAID   = regexp.MustCompile(`^\$[0-9A-Fa-f]+`)
	reQuad  = regexp.MustCompile(`(?:^|:)((?:0[xX][0-9A-Fa-f]+|[0-9]+)(?:\.(?:0[xX][0-9A-Fa-f]+|[0-9]+)){3})$`)
	reWord  = regexp.MustCompile(`^[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?|^[&|]{2}`)
)

// maxV6Len is the longest textual IPv6 address (with an embedded IPv4 part);
// it bounds the search below, which is quadratic in the candidate's length.
const maxV6Len = 45

// longestV6 returns the length of the longest prefix of s that is an IPv6 address.
func longestV6(s string) int {
	m := reV6.FindString(s)
	if len(m) > maxV6Len {
		m = m[:maxV6Len]
	}
	for n := len(m); n >= 2; n-- {
		c := m[:n]
		if !strings.Contains(c, ":") {
			return 0
		}
		if a, err := netip.ParseAddr(c); err == nil && a.Is6() && a.Zone() == "" {
			return n
		}
	}
	return 0
}

// bogusV6 returns the length of the longest prefix of s that is an IPv6
// address ending in a dotted quad whose parts are out of range
// ("fe80::256.1.2.3"): libpcap's scanner takes that as one address and then
// fails on it, instead of lexing a shorter address.
func bogusV6(s string) int {
	m := reV6.FindString(s)
	if len(m) > maxV6Len+8 || !strings.Contains(m, ":") {
		return 0
	}
	q := reQuad.FindStringSubmatchIndex(m)
	if q == nil {
		return 0
	}
	if a, err := netip.ParseAddr(m[:q[2]] + "0.0.0.0"); err != nil || !a.Is6() {
		return 0
	}
	if _, err := netip.ParseAddr(m); err == nil {
		return 0
	}
	return len(m)
}

// lex splits an expression into tokens.
func lex(s string) ([]token, error) {
	var toks []token
	// column returns the 1-based character column of byte offset i; the
	// offsets asked for only grow, so counting stays linear.
	col, colAt := 1, 0
	column := func(i int) int {
		col += utf8.RuneCountInString(s[colAt:i])
		colAt = i
		return col
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		pos := column(i)
		rest := s[i:]
		if c == '\\' {
			j := 1
			for j < len(rest) && !strings.ContainsRune(" !()\n\t", rune(rest[j])) {
				j++
			}
			if j == 1 {
				return nil, &Error{Pos: pos, Token: "\\", Msg: "backslash must be followed by a name"}
			}
			toks = append(toks, token{kind: tID, text: rest[1:j], pos: pos})
			i += j
			continue
		}
		// Two-character operators.
		if len(rest) >= 2 {
			two := rest[:2]
			switch two {
			case ">=", "<=", "!=", "==", "<<", ">>":
				if two == "==" {
					two = "="
				}
				toks = append(toks, token{kind: tOp, text: two, pos: pos})
				i += 2
				continue
			case "&&", "||":
				toks = append(toks, token{kind: tKw, text: keywords[two], pos: pos})
				i += 2
				continue
			}
		}
		if n := bogusV6(rest); n > 0 {
			return nil, &Error{Pos: pos, Token: rest[:n], Msg: "bogus IPv6 address " + rest[:n]}
		}
		if c == '$' {
			if n := len(reAID.FindString(rest)); n > 0 {
				toks = append(toks, token{kind: tAID, text: rest[:n], pos: pos})
				i += n
				continue
			}
		}
		if c == ':' && longestV6(rest) > 0 {
			n := longestV6(rest)
			toks = append(toks, token{kind: tHID6, text: rest[:n], pos: pos})
			i += n
			continue
		}
		if strings.IndexByte("+-*/%:[]!<>()&|^=", c) >= 0 {
			t := token{kind: tOp, text: string(c), pos: pos}
			if c == '!' {
				t = token{kind: tKw, text: "not", pos: pos}
			}
			toks = append(toks, t)
			i++
			continue
		}
		// Word-like lexemes: pick the longest match, earliest rule on ties.
		type cand struct {
			n    int
			kind tokKind
		}
		best := cand{}
		try := func(n int, k tokKind) {
			if n > best.n {
				best = cand{n, k}
			}
		}
		word := reWord.FindString(rest)
		if kw, ok := keywords[word]; ok && word != "" {
			_ = kw
			try(len(word), tKw)
		}
		// Keywords only match as whole patterns; a longer ID beats them below.
		try(len(reMAC.FindString(rest)), tEID)
		try(len(reNum.FindString(rest)), tNUM)
		try(len(reHID.FindString(rest)), tHID)
		try(longestV6(rest), tHID6)
		if n := len(reBogus.FindString(rest)); n > best.n {
			return nil, &Error{Pos: pos, Token: rest[:n], Msg: "bogus ethernet address " + rest[:n]}
		}
		if _, ok := namedNums[word]; ok {
			try(len(word), tNUM)
		}
		try(len(reID.FindString(rest)), tID)
		if best.n == 0 {
			// The whole character, not its first byte read as Latin-1; a
			// byte that is not UTF-8 stays a byte (quoted as \xNN).
			_, size := utf8.DecodeRuneInString(rest)
			return nil, &Error{Pos: pos, Token: rest[:size], Msg: "unexpected character"}
		}
		text := rest[:best.n]
		t := token{kind: best.kind, text: text, pos: pos}
		switch best.kind {
		case tKw:
			t.text, t.word = keywords[text], text
		case tNUM:
			if v, ok := namedNums[text]; ok {
				t.num = v
			} else {
				v, err := parseNum(text)
				if err != nil {
					return nil, &Error{Pos: pos, Token: text, Msg: err.Error()}
				}
				t.num = v
			}
		}
		toks = append(toks, t)
		i += best.n
	}
	toks = append(toks, token{kind: tEOF, pos: column(len(s))})
	return toks, nil
}

// parseNum reads decimal, 0x hex and leading-zero octal, as libpcap does.
func parseNum(s string) (uint32, error) {
	base := 10
	digits := s
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, errNumRange(s)
		}
		return 0, errNumBad(s, base)
	}
	return uint32(v), nil
}

type numErr string

func (e numErr) Error() string   { return string(e) }
func errNumRange(s string) error { return numErr("number " + s + " overflows 32 bits") }
func errNumBad(s string, base int) error {
	if base == 8 {
		return numErr("number " + s + " contains non-octal digit")
	}
	return numErr("invalid number " + s)
}
