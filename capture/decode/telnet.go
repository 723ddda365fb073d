package decode

import "strings"

// Telnet commands and options as tcpdump's print-telnet.c names them: the
// negotiation at the start of a segment on port 23, " [telnet WILL ECHO, ...]".

const (
	telIAC = 255
	telSE  = 240
	telSB  = 250
)

// telCmds names the commands from xEOF (236) to IAC (255).
var telCmds = [...]string{"EOF", "SUSP", "ABORT", "EOR", "SE", "NOP", "DMARK", "BRK", "IP", "AO",
	"AYT", "EC", "EL", "GA", "SB", "WILL", "WONT", "DO", "DONT", "IAC"}

var telOpts = [...]string{"BINARY", "ECHO", "RCP", "SUPPRESS GO AHEAD", "NAME", "STATUS",
	"TIMING MARK", "RCTE", "NAOL", "NAOP", "NAOCRD", "NAOHTS", "NAOHTD", "NAOFFD", "NAOVTS",
	"NAOVTD", "NAOLFD", "EXTEND ASCII", "LOGOUT", "BYTE MACRO", "DATA ENTRY TERMINAL", "SUPDUP",
	"SUPDUP OUTPUT", "SEND LOCATION", "TERMINAL TYPE", "END OF RECORD", "TACACS UID",
	"OUTPUT MARKING", "TTYLOC", "3270 REGIME", "X.3 PAD", "NAWS", "TSPEED", "LFLOW", "LINEMODE",
	"XDISPLOC", "OLD-ENVIRON", "AUTHENTICATION", "ENCRYPT", "NEW-ENVIRON"}

// Sub-negotiation words: the generic qualifiers, and those of
// AUTHENTICATION (37) and ENCRYPT (38). "" has no name (a number prints).
var (
	telSubCmds  = []string{"IS", "SEND", "INFO"}
	telAuthCmds = []string{"IS", "SEND", "REPLY", "NAME"}
	telAuthType = []string{"NULL", "KERBEROS_V4", "KERBEROS_V5", "SPX", "MINK", "SRP", "RSA", "SSL",
		"", "", "LOKI", "SSA", "KEA_SJ", "KEA_SJ_INTEG", "DSS", "NTLM"}
	telEncCmds = []string{"IS", "SUPPORT", "REPLY", "START", "END", "REQUEST-START", "REQUEST-END",
		"END_KEYID", "DEC_KEYID"}
	telEncType = []string{"NULL", "DES_CFB64", "DES_OFB64", "DES3_CFB64", "DES3_OFB64", "",
		"CAST5_40_CFB64", "CAST5_40_OFB64", "CAST128_CFB64", "CAST128_OFB64"}
)

// hexAlt is printf's %#x.
func (p *Printer) hexAlt(v int) {
	if v != 0 {
		p.s("0x")
	}
	p.hex(uint64(v))
}

func (p *Printer) telWord(v int, tab []string) {
	p.c(' ')
	if v < len(tab) && tab[v] != "" {
		p.s(tab[v])
		return
	}
	p.hexAlt(v)
}

// telnetParse reads one command at b[0] (an IAC) and returns its length,
// or -1 when it is cut short or not a command; with print it also prints it.
func (p *Printer) telnetParse(b []byte, length int, print bool) int {
	sp := 0
	fetch := func() (int, bool) {
		if length < 1 {
			return 0, false
		}
		c := int(p.u8(b, sp))
		sp++
		length--
		return c, true
	}
	if c, ok := fetch(); !ok || c != telIAC {
		return -1
	}
	c, ok := fetch()
	if !ok {
		return -1
	}
	if c == telIAC {
		if print {
			p.s("IAC IAC")
		}
		return sp
	}
	i := c - 236
	if i < 0 {
		return -1
	}
	if c < telSB || c == telIAC {
		if print {
			p.s(telCmds[i])
		}
		return sp
	}
	// WILL, WONT, DO, DONT, SB: an option follows.
	x, ok := fetch()
	if !ok {
		return -1
	}
	if print {
		p.s(telCmds[i])
		p.c(' ')
		if x < len(telOpts) {
			p.s(telOpts[x])
		} else {
			p.hexAlt(x)
		}
	}
	if c != telSB {
		return sp
	}
	// IAC SB option ... IAC SE
	q := sp
	for length > q+1-sp {
		if p.u8(b, q) == telIAC && p.u8(b, q+1) == telSE {
			break
		}
		q++
	}
	if p.u8(b, q) != telIAC {
		return -1
	}
	words := func(tabs ...[]string) bool {
		for _, tab := range tabs {
			if q <= sp {
				return true
			}
			v, ok := fetch()
			if !ok {
				return false
			}
			if print {
				p.telWord(v, tab)
			}
		}
		return true
	}
	var done bool
	switch x {
	case 37:
		done = words(telAuthCmds, telAuthType)
	case 38:
		done = words(telEncCmds, telEncType)
	default:
		done = words(telSubCmds)
	}
	if !done {
		return -1
	}
	for q > sp {
		v, ok := fetch()
		if !ok {
			return -1
		}
		if print {
			p.c(' ')
			p.hexAlt(v)
		}
	}
	if print {
		p.s(" SE")
	}
	return sp + 2
}

// telnet is tcpdump's telnet_print: the commands at the start of the
// segment, in a hex dump of each with -X -vvv.
func (p *Printer) telnet(b []byte, length int) {
	p.proto = "telnet"
	dump := p.opts.ASCII > 0 && p.opts.Verbose > 2
	first := true
	off := 0
	for length > 0 && p.u8(b, off) == telIAC {
		l := p.telnetParse(b[off:], length, false)
		if l < 0 {
			break
		}
		switch {
		case dump:
			if first {
				p.s("\nTelnet:")
			}
			p.need(b, off+l)
			p.hexAt("\n", b[off:off+l], off)
			if l > 8 {
				p.s("\n\t\t\t\t")
			} else {
				p.s(strings.Repeat(" ", (8-l)*3))
				p.c('\t')
			}
		case first:
			p.s(" [telnet ")
		default:
			p.s(", ")
		}
		p.telnetParse(b[off:], length, true)
		first = false
		off += l
		length -= l
	}
	if !first {
		if dump {
			p.c('\n')
		} else {
			p.c(']')
		}
	}
}
