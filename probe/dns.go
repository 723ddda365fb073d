package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/netdiag/netdiag/nsutil"
)

// Errors of a lookup (Result.Err) and of a single query (Query.Err); test
// with errors.Is.
var (
	ErrTimeout     = errors.New("timed out")
	ErrNXDomain    = errors.New("NXDOMAIN: the name does not exist")
	ErrNoData      = errors.New("NODATA: the name exists but has no record of this type")
	ErrServFail    = errors.New("SERVFAIL: the server could not answer")
	ErrRcode       = errors.New("the server rejected the query")
	ErrConnRefused = errors.New("connection refused: nothing listens on the DNS server's port (ICMP port unreachable or RST)")
	ErrUnreachable = errors.New("the DNS server is unreachable (ICMP error or no route)")
	// ErrNotSupported means probes cannot be sent on this GOOS: they use
	// Linux sockets inside a network namespace.
	ErrNotSupported = errors.New("not supported")
)

// LookupOptions change how Lookup sends queries; the zero value follows the
// resolv.conf.
type LookupOptions struct {
	// TCP sends every query over TCP, like options use-vc or dig +tcp.
	// Without it a truncated UDP reply is retried over TCP, as glibc does.
	TCP bool
	// Timeout is how long each query waits for its reply; 0 means the
	// resolv.conf timeout (default 5 s).
	Timeout time.Duration
	// Attempts is how many rounds over the nameservers; 0 means the
	// resolv.conf attempts (default 2).
	Attempts int
	// NoSearch queries the name as given only, ignoring search and ndots,
	// as dig does by default.
	NoSearch bool
	// Servers replaces the resolv.conf nameservers (dig @SERVER).
	Servers []netip.AddrPort
}

// Query is one DNS query sent to one server.
type Query struct {
	Name   string         // fully qualified, with the trailing dot
	Type   string         // "A", "AAAA"…
	Server netip.AddrPort // where it was sent
	Proto  string         // "udp" or "tcp"
	// Rcode is the reply's RCODE ("NOERROR", "NXDOMAIN"…), "" without a reply.
	Rcode     string
	Answers   int  // records in the answer section
	Truncated bool // the TC bit: the reply did not fit in UDP
	// RTT is the time from sending to the reply (TCP: from connect), or
	// until the error or timeout.
	RTT time.Duration
	// Err is why no usable reply came (ErrTimeout, ErrConnRefused, an errno);
	// nil when a reply came, whatever its rcode.
	Err error
}

// Result is a whole lookup: every query sent, in order, and the outcome.
type Result struct {
	Name    string // as asked
	Type    string
	Queries []Query
	// FinalName is the name that decided the outcome: the one answered on
	// success; on failure the one whose error glibc reports.
	FinalName string
	// Status is the outcome: "NOERROR", "NXDOMAIN", "NODATA", "SERVFAIL",
	// "TIMEOUT", "REFUSED" (connection refused), or another RCODE.
	Status string
	// Reply is the reply to the query that succeeded, or the last reply
	// received when the lookup failed; nil when none came.
	Reply *dns.Msg
	// Server answered Reply.
	Server netip.AddrPort
	// Total is the wall time of the whole lookup.
	Total time.Duration
	// Err is nil on success and wraps ErrNXDomain, ErrNoData, ErrServFail,
	// ErrTimeout, ErrConnRefused or ErrRcode otherwise.
	Err error
}

// ParseType turns a type name ("A", "aaaa", "SRV") into its code.
func ParseType(s string) (uint16, error) {
	t, ok := dns.StringToType[strings.ToUpper(s)]
	if !ok || t == dns.TypeNone {
		return 0, fmt.Errorf("unknown DNS type %q: use A, AAAA, SRV, MX, TXT, PTR, CNAME, NS, SOA or ANY", s)
	}
	return t, nil
}

// Lookup resolves name from inside ns (the caller's netns when nil) the way
// glibc's res_nsearch would with conf: search list and ndots, nameservers
// in order (rotated with options rotate), attempts rounds, SERVFAIL, REFUSED
// and NOTIMP moving on to the next server, a truncated reply retried over
// TCP. Every query is recorded. The error is only for a lookup that could
// not run (bad name, no socket, ctx done); a failed resolution is
// Result.Err.
func Lookup(ctx context.Context, ns *nsutil.NetNS, conf *ResolvConf, name string, qtype uint16, opts LookupOptions) (*Result, error) {
	if name == "" {
		return nil, errors.New("look up: empty name")
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return nil, fmt.Errorf("look up %q: not a valid domain name", name)
	}
	if len(conf.Nameservers) == 0 && len(opts.Servers) == 0 {
		return nil, fmt.Errorf("look up %s: no nameserver", name)
	}
	r := &Result{Name: name, Type: dns.TypeToString[qtype]}
	if r.Type == "" {
		r.Type = fmt.Sprintf("TYPE%d", qtype)
	}
	l := &lookup{ctx: ctx, ns: ns, conf: conf, qtype: qtype, opts: opts, res: r}
	if l.opts.Timeout <= 0 {
		l.opts.Timeout = conf.Timeout
	}
	if l.opts.Timeout <= 0 {
		l.opts.Timeout = DefaultTimeout
	}
	if l.opts.Attempts <= 0 {
		l.opts.Attempts = conf.Attempts
	}
	if l.opts.Attempts <= 0 {
		l.opts.Attempts = DefaultAttempts
	}
	if conf.UseVC {
		l.opts.TCP = true
	}
	start := time.Now()
	st, final := search(conf, name, opts.NoSearch, l.resolveName)
	r.Total = time.Since(start)
	if l.fatal != nil {
		return nil, l.fatal
	}
	r.FinalName = final
	if l.last != nil {
		r.Reply, r.Server = l.last.msg, l.last.server
	}
	switch st {
	case stOK:
		r.Status = "NOERROR"
	case stNXDomain:
		r.Status, r.Err = "NXDOMAIN", ErrNXDomain
	case stNoData:
		r.Status, r.Err = "NODATA", ErrNoData
	case stServFail:
		r.Status, r.Err = "SERVFAIL", ErrServFail
	case stTimeout:
		r.Status, r.Err = "TIMEOUT", ErrTimeout
	case stConnRefused:
		r.Status, r.Err = "REFUSED", ErrConnRefused
	case stUnreachable:
		r.Status, r.Err = "UNREACHABLE", ErrUnreachable
	default:
		r.Status, r.Err = "FAILED", ErrRcode
		if l.last != nil {
			r.Status = dns.RcodeToString[l.last.msg.Rcode]
			r.Err = fmt.Errorf("%w: %s", ErrRcode, r.Status)
		}
	}
	if r.Err != nil {
		r.Err = fmt.Errorf("look up %s %s (%d queries): %w", name, r.Type, len(r.Queries), r.Err)
	}
	return r, nil
}

type reply struct {
	msg    *dns.Msg
	server netip.AddrPort
}

// lookup is the state of one Lookup.
type lookup struct {
	ctx    context.Context
	ns     *nsutil.NetNS
	conf   *ResolvConf
	qtype  uint16
	opts   LookupOptions
	res    *Result
	rotate int
	last   *reply // the last reply, kept for Result.Reply
	fatal  error  // stops the search: ctx done, no socket
}

// resolveName is glibc's res_nsend for one name: attempts rounds over the
// nameservers until a reply that is not SERVFAIL, REFUSED or NOTIMP.
func (l *lookup) resolveName(name string) status {
	if l.fatal != nil {
		return stFailed
	}
	servers := l.opts.Servers
	if len(servers) == 0 {
		servers = l.conf.Servers()
	}
	first := 0
	if l.conf.Rotate {
		first = l.rotate % len(servers)
		l.rotate++
	}
	var lastRcode = -1
	gotSomewhere, timedOut := false, false
	for try := 0; try < l.opts.Attempts; try++ {
		for i := range servers {
			srv := servers[(first+i)%len(servers)]
			m, q := l.exchange(name, srv, l.opts.TCP)
			if l.fatal != nil {
				return stFailed
			}
			if m != nil && m.Truncated && !l.opts.TCP {
				// glibc retries a truncated reply over TCP, same server.
				m, q = l.exchange(name, srv, true)
				if l.fatal != nil {
					return stFailed
				}
			}
			switch {
			case m != nil:
				gotSomewhere = true
				l.last = &reply{msg: m, server: srv}
				switch m.Rcode {
				case dns.RcodeServerFailure, dns.RcodeNotImplemented, dns.RcodeRefused:
					lastRcode = m.Rcode
					continue
				case dns.RcodeSuccess:
					if len(m.Answer) > 0 {
						return stOK
					}
					return stNoData
				case dns.RcodeNameError:
					return stNXDomain
				}
				return stFailed
			case errors.Is(q.Err, ErrConnRefused):
			case errors.Is(q.Err, ErrTimeout):
				gotSomewhere, timedOut = true, true
			default:
				gotSomewhere = true
			}
		}
	}
	switch {
	case lastRcode == dns.RcodeServerFailure:
		return stServFail
	case lastRcode >= 0:
		return stFailed
	case !gotSomewhere:
		return stConnRefused
	case !timedOut:
		return stUnreachable
	}
	return stTimeout
}

// exchange sends one query and records it. A nil message means no usable
// reply (the Query says why).
func (l *lookup) exchange(name string, srv netip.AddrPort, tcp bool) (*dns.Msg, Query) {
	q := Query{Name: name, Type: l.res.Type, Server: srv, Proto: "udp"}
	if tcp {
		q.Proto = "tcp"
	}
	req := new(dns.Msg)
	req.SetQuestion(name, l.qtype)
	req.RecursionDesired = true
	if l.conf.EDNS0 {
		req.SetEdns0(1232, false)
	}
	if l.conf.TrustAD {
		req.AuthenticatedData = true
	}
	m, rtt, err := l.send(req, srv, tcp)
	q.RTT = rtt
	if err != nil && l.ctx.Err() != nil {
		l.fatal = fmt.Errorf("look up %s: %w", l.res.Name, l.ctx.Err())
	}
	var fatal *fatalError
	if errors.As(err, &fatal) {
		l.fatal = fmt.Errorf("look up %s: %w", l.res.Name, fatal.err)
	}
	if err != nil {
		q.Err = err
	} else {
		q.Rcode = dns.RcodeToString[m.Rcode]
		if q.Rcode == "" {
			q.Rcode = fmt.Sprintf("RCODE%d", m.Rcode)
		}
		q.Answers = len(m.Answer)
		q.Truncated = m.Truncated
	}
	l.res.Queries = append(l.res.Queries, q)
	return m, q
}

// fatalError marks an error that stops the lookup rather than one server.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }

// queryErr names the errors a user can act on.
func queryErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errTimeout):
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnRefused
	}
	return err
}

// isReplyTo checks the ID and question, as res_send's answer check does.
func isReplyTo(m, req *dns.Msg) bool {
	if !m.Response || m.Id != req.Id {
		return false
	}
	if len(m.Question) == 0 {
		// Some servers drop the question from FORMERR/NOTIMP replies.
		return m.Rcode != dns.RcodeSuccess
	}
	q, rq := m.Question[0], req.Question[0]
	return q.Qtype == rq.Qtype && q.Qclass == rq.Qclass && strings.EqualFold(q.Name, rq.Name)
}
