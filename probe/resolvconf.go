package probe

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limits and defaults of glibc's resolver (resolv.h, resolv.conf(5)).
const (
	MaxNameservers = 3  // MAXNS: later nameserver lines are ignored
	maxNdots       = 15 // RES_MAXNDOTS
	maxTimeout     = 30 // RES_MAXRETRANS, seconds
	maxAttempts    = 5  // RES_MAXRETRY

	DefaultNdots    = 1
	DefaultTimeout  = 5 * time.Second
	DefaultAttempts = 2
)

// maxResolvConf bounds how much of a resolv.conf is read; real ones are tiny.
const maxResolvConf = 64 << 10

// ResolvConf is what glibc's resolver takes from resolv.conf(5). The zero
// value is not glibc's default; use ParseResolvConf (of an empty file, even).
type ResolvConf struct {
	// Source is where the file was read from ("" when parsed from a reader).
	Source string `json:"source,omitempty"`
	// Nameservers in file order, at most MaxNameservers; when the file names
	// none, glibc uses 127.0.0.1 and so does this (DefaultNameserver says so).
	Nameservers []netip.Addr `json:"nameservers"`
	// DefaultNameserver is true when no nameserver line was usable.
	DefaultNameserver bool `json:"defaultNameserver,omitempty"`
	// Search is the search list: the last search or domain line wins.
	Search []string `json:"search"`
	// Ndots, Timeout and Attempts are options ndots:, timeout:, attempts:,
	// clamped as glibc clamps them.
	Ndots    int           `json:"ndots"`
	Timeout  time.Duration `json:"timeout"`
	Attempts int           `json:"attempts"`
	// Options that change how queries are sent.
	Rotate              bool `json:"rotate,omitempty"`
	UseVC               bool `json:"useVc,omitempty"`      // always TCP
	NoTLDQuery          bool `json:"noTldQuery,omitempty"` // never query a dotless name as-is
	SingleRequest       bool `json:"singleRequest,omitempty"`
	SingleRequestReopen bool `json:"singleRequestReopen,omitempty"`
	EDNS0               bool `json:"edns0,omitempty"`
	TrustAD             bool `json:"trustAd,omitempty"`
	// Options lists every option token as written, known or not.
	Options []string `json:"options,omitempty"`
	// Warnings name lines glibc ignores, so a typo is visible.
	Warnings []string `json:"warnings,omitempty"`
}

// ParseResolvConf parses resolv.conf(5) the way glibc 2.36 does: keywords
// only at the start of a line followed by a space or tab, '#' and ';'
// comment lines, the last search/domain line wins, at most three
// nameservers, and option values clamped. Lines glibc ignores are kept as
// Warnings. The only errors are read errors and a file over 64 KiB.
func ParseResolvConf(r io.Reader) (*ResolvConf, error) {
	c := &ResolvConf{Ndots: DefaultNdots, Timeout: DefaultTimeout, Attempts: DefaultAttempts, Search: []string{}}
	b, err := io.ReadAll(io.LimitReader(r, maxResolvConf+1))
	if err != nil {
		return nil, fmt.Errorf("read resolv.conf: %w", err)
	}
	if len(b) > maxResolvConf {
		return nil, fmt.Errorf("read resolv.conf: larger than %d bytes, not a resolv.conf", maxResolvConf)
	}
	// Lines end at '\n' only and fields are split at spaces and tabs only,
	// as in glibc: a CRLF file keeps its '\r', which breaks the last field.
	for n, line := range strings.Split(string(b), "\n") {
		n++
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		kw, rest, ok := keyword(line)
		if !ok {
			if strings.TrimSpace(line) != "" {
				c.warn(n, "ignored (a keyword must start the line and be followed by a space or tab)", line)
			}
			continue
		}
		fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '\t' })
		switch kw {
		case "nameserver":
			if len(fields) == 0 {
				c.warn(n, "ignored (nameserver without an address)", line)
				continue
			}
			a, err := netip.ParseAddr(fields[0])
			if err != nil || (a.Is4() && a.Zone() != "") {
				c.warn(n, "ignored (not an IP address)", line)
				continue
			}
			if len(c.Nameservers) >= MaxNameservers {
				c.warn(n, fmt.Sprintf("ignored (glibc uses only the first %d nameservers)", MaxNameservers), line)
				continue
			}
			c.Nameservers = append(c.Nameservers, a.Unmap())
		case "domain":
			if len(fields) == 0 {
				c.warn(n, "ignored (domain without a name)", line)
				continue
			}
			c.Search = []string{fields[0]}
		case "search":
			if len(fields) == 0 {
				c.warn(n, "ignored (search without domains)", line)
				continue
			}
			c.Search = fields
		case "options":
			for _, o := range fields {
				c.option(n, o)
			}
		case "sortlist":
			// Affects only gethostbyname's address order, not which queries are sent.
		}
	}
	if len(c.Nameservers) == 0 {
		c.Nameservers = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
		c.DefaultNameserver = true
	}
	return c, nil
}

var keywords = []string{"nameserver", "domain", "search", "options", "sortlist"}

// keyword splits "KEYWORD<space or tab>REST" as glibc's MATCH macro does.
func keyword(line string) (kw, rest string, ok bool) {
	for _, k := range keywords {
		if len(line) > len(k) && strings.HasPrefix(line, k) && (line[len(k)] == ' ' || line[len(k)] == '\t') {
			return k, line[len(k)+1:], true
		}
	}
	return "", "", false
}

func (c *ResolvConf) warn(n int, why, line string) {
	if len(line) > 80 {
		line = line[:80] + "…"
	}
	c.Warnings = append(c.Warnings, fmt.Sprintf("line %d: %s: %q", n, why, line))
}

// option applies one token of an options line.
func (c *ResolvConf) option(n int, o string) {
	c.Options = append(c.Options, o)
	num := func(prefix string, max int) (int, bool) {
		if !strings.HasPrefix(o, prefix) {
			return 0, false
		}
		v := atoi(o[len(prefix):])
		if v < 0 {
			v = 0
		}
		if v > max {
			v = max
		}
		return v, true
	}
	if v, ok := num("ndots:", maxNdots); ok {
		c.Ndots = v
		return
	}
	if v, ok := num("timeout:", maxTimeout); ok {
		// glibc waits at least one second even for timeout:0.
		c.Timeout = time.Duration(max(v, 1)) * time.Second
		return
	}
	if v, ok := num("attempts:", maxAttempts); ok {
		// attempts:0 makes glibc send nothing at all; one try is what anyone meant.
		if v == 0 {
			c.warn(n, "attempts:0 sends no query in glibc; using 1", o)
			v = 1
		}
		c.Attempts = v
		return
	}
	switch o {
	case "rotate":
		c.Rotate = true
	case "use-vc":
		c.UseVC = true
	case "no-tld-query":
		c.NoTLDQuery = true
	case "single-request":
		c.SingleRequest = true
	case "single-request-reopen":
		c.SingleRequestReopen = true
	case "edns0":
		c.EDNS0 = true
	case "trust-ad":
		c.TrustAD = true
	case "debug", "no-reload", "inet6", "no-aaaa", "no-check-names", "insecure1", "insecure2":
	default:
		c.warn(n, "unknown option, ignored", o)
	}
}

// atoi is C's atoi: leading digits (after an optional sign), 0 when none,
// saturating instead of overflowing.
func atoi(s string) int {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	v := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if v < 1<<20 {
			v = v*10 + int(s[i]-'0')
		}
	}
	if neg {
		return -v
	}
	return v
}

// Servers returns the nameservers as IP:53 addresses.
func (c *ResolvConf) Servers() []netip.AddrPort {
	out := make([]netip.AddrPort, len(c.Nameservers))
	for i, a := range c.Nameservers {
		out[i] = netip.AddrPortFrom(a, 53)
	}
	return out
}

// String renders the configuration as a resolv.conf.
func (c *ResolvConf) String() string {
	var b strings.Builder
	for _, a := range c.Nameservers {
		b.WriteString("nameserver " + a.String() + "\n")
	}
	if len(c.Search) > 0 {
		b.WriteString("search " + strings.Join(c.Search, " ") + "\n")
	}
	b.WriteString("options ndots:" + strconv.Itoa(c.Ndots) + " timeout:" + strconv.Itoa(int(c.Timeout/time.Second)) +
		" attempts:" + strconv.Itoa(c.Attempts) + "\n")
	return b.String()
}
