package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/probe"
)

func init() {
	register(&ucli.Command{
		Name:      "dns",
		Usage:     "dig-like DNS lookup from inside a pod's network namespace, with the pod's resolv.conf",
		ArgsUsage: "SELECTOR NAME [@SERVER[:PORT]]",
		Description: "Without @SERVER the pod's resolv.conf is used as glibc uses it: nameservers in\n" +
			"order, the search list and ndots (a name with fewer dots than ndots goes through\n" +
			"the search list first, then as-is; with ndots dots or more, as-is first; a\n" +
			"trailing dot means only as-is), options timeout and attempts. Every query sent is\n" +
			"listed with its server, status, answer count and time. With @SERVER the name is\n" +
			"queried as given, like dig (--search to apply the search list anyway).\n\n" +
			"The resolv.conf is read from inside a running container of the pod\n" +
			"(/proc/PID/root/etc/resolv.conf), else the runtime's sandbox copy under the host\n" +
			"root; --resolv-conf FILE overrides. A truncated UDP reply is retried over TCP.\n" +
			"--type PTR with an IP address as NAME looks up its reverse name.\n\n" +
			"Exit status: 0 when the lookup got an answer, 1 when it failed (timeout,\n" +
			"SERVFAIL, NXDOMAIN, NODATA for the final name) or could not run, 2 on bad usage.",
		Flags: append(selectorFlags(),
			&ucli.BoolFlag{Name: "node", Usage: "query from the node's network namespace with the node's resolv.conf"},
			&ucli.StringFlag{Name: "type", Aliases: []string{"t"}, Value: "A", Usage: "query `TYPE`: A, AAAA, SRV, MX, TXT, PTR, CNAME, NS, SOA, ANY…"},
			&ucli.BoolFlag{Name: "tcp", Usage: "send every query over TCP"},
			&ucli.DurationFlag{Name: "timeout", Usage: "how long each query waits (default: resolv.conf options timeout, 5s)"},
			&ucli.IntFlag{Name: "tries", Usage: "rounds over the nameservers `N` (default: resolv.conf options attempts, 2)"},
			&ucli.BoolFlag{Name: "search", Usage: "apply the search list and ndots (default: on without @SERVER, off with it)"},
			&ucli.StringFlag{Name: "resolv-conf", Usage: "read nameservers, search and options from `FILE` instead of the pod's"},
		),
		Action: runDNS,
	})
}

type dnsQueryJSON struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Server    string  `json:"server"`
	Proto     string  `json:"proto"`
	Rcode     string  `json:"rcode,omitempty"`
	Answers   int     `json:"answers"`
	Truncated bool    `json:"truncated,omitempty"`
	RTTMs     float64 `json:"rttMs"`
	Error     string  `json:"error,omitempty"`
}

type dnsRRJSON struct {
	Name string `json:"name"`
	Type string `json:"type"`
	TTL  uint32 `json:"ttl"`
	Data string `json:"data"`
}

type dnsResolvJSON struct {
	Source      string   `json:"source"`
	Nameservers []string `json:"nameservers"`
	Search      []string `json:"search"`
	Ndots       int      `json:"ndots"`
	TimeoutSec  int      `json:"timeoutSeconds"`
	Attempts    int      `json:"attempts"`
	Options     []string `json:"options,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
}

type dnsReport struct {
	Pod        string         `json:"pod,omitempty"`
	NetNS      string         `json:"netns"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	ResolvConf dnsResolvJSON  `json:"resolvConf"`
	Search     bool           `json:"search"`
	Queries    []dnsQueryJSON `json:"queries"`
	Status     string         `json:"status"`
	FinalName  string         `json:"finalName"`
	Server     string         `json:"server,omitempty"`
	Answer     []dnsRRJSON    `json:"answer"`
	Authority  []dnsRRJSON    `json:"authority,omitempty"`
	TotalMs    float64        `json:"totalMs"`
	Error      string         `json:"error,omitempty"`
}

func runDNS(c *ucli.Context) error {
	args, err := positionalArgs(c)
	if err != nil {
		return err
	}
	var name string
	var servers []netip.AddrPort
	for _, a := range args {
		if strings.HasPrefix(a, "@") {
			s, err := parseServer(a[1:])
			if err != nil {
				return usageErrorf("dns: %v", err)
			}
			servers = append(servers, s)
			continue
		}
		if name != "" {
			return usageErrorf("dns takes one NAME, got %q and %q", name, a)
		}
		name = a
	}
	if name == "" {
		return usageErrorf("dns needs a NAME: netdiag dns --pod-ip IP kubernetes.default.svc.cluster.local [@SERVER]")
	}
	if len(servers) > probe.MaxNameservers {
		return usageErrorf("dns: at most %d @SERVERs", probe.MaxNameservers)
	}
	qtype, err := probe.ParseType(c.String("type"))
	if err != nil {
		return usageErrorf("dns: %v", err)
	}
	if qtype == dns.TypePTR {
		if a, err := netip.ParseAddr(name); err == nil {
			name, _ = dns.ReverseAddr(a.String())
		}
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return usageErrorf("dns: %q is not a valid domain name", name)
	}
	if c.Duration("timeout") < 0 || c.Duration("timeout") > 5*time.Minute {
		return usageErrorf("dns: --timeout must be 0..5m")
	}
	if c.Int("tries") < 0 || c.Int("tries") > 10 {
		return usageErrorf("dns: --tries must be 0..10")
	}
	useSearch := len(servers) == 0
	if c.IsSet("search") {
		useSearch = c.Bool("search")
	}

	ns, pod, err := probeNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()

	e := envOf(c)
	var conf *probe.ResolvConf
	switch {
	case c.String("resolv-conf") != "":
		conf, err = probe.ReadResolvConfFile(c.String("resolv-conf"))
	case pod != nil:
		conf, err = probe.ReadResolvConf(pod, globals(c).HostRoot)
	default:
		conf, err = probe.ReadNodeResolvConf(globals(c).HostRoot)
	}
	if err != nil {
		if len(servers) == 0 || c.String("resolv-conf") != "" {
			return fmt.Errorf("dns: %w", err)
		}
		// @SERVER needs no resolv.conf; glibc's defaults stand in for it.
		if globals(c).Verbose {
			fmt.Fprintf(e.stderr, "netdiag: warning: %v; using glibc defaults\n", err)
		}
		conf, _ = probe.ParseResolvConf(strings.NewReader(""))
		conf.Source = "(none)"
	}

	ctx, stop := signalContext(c)
	defer stop()
	res, err := probe.Lookup(ctx, ns, conf, name, qtype, probe.LookupOptions{
		TCP: c.Bool("tcp"), Timeout: c.Duration("timeout"), Attempts: c.Int("tries"),
		NoSearch: !useSearch, Servers: servers,
	})
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	rep := dnsReport{
		NetNS: ns.Path(), Name: name, Type: res.Type, Search: useSearch,
		Queries: []dnsQueryJSON{}, Status: res.Status, FinalName: res.FinalName,
		Answer: []dnsRRJSON{}, TotalMs: ms(res.Total),
		ResolvConf: dnsResolvJSON{Source: conf.Source, Search: conf.Search, Ndots: conf.Ndots,
			TimeoutSec: int(conf.Timeout / time.Second), Attempts: conf.Attempts, Options: conf.Options, Warnings: conf.Warnings},
	}
	if pod != nil {
		rep.Pod = pod.FullName()
	}
	for _, a := range conf.Nameservers {
		rep.ResolvConf.Nameservers = append(rep.ResolvConf.Nameservers, a.String())
	}
	for _, q := range res.Queries {
		j := dnsQueryJSON{Name: q.Name, Type: q.Type, Server: q.Server.String(), Proto: q.Proto, Rcode: q.Rcode,
			Answers: q.Answers, Truncated: q.Truncated, RTTMs: ms(q.RTT)}
		if q.Err != nil {
			j.Error = q.Err.Error()
		}
		rep.Queries = append(rep.Queries, j)
	}
	if res.Reply != nil {
		rep.Server = res.Server.String()
		rep.Answer = rrsJSON(res.Reply.Answer)
		rep.Authority = rrsJSON(res.Reply.Ns)
	}
	if res.Err != nil {
		rep.Error = res.Err.Error()
	}
	if isJSON(c) {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else if err := printDNS(e, podLabel(pod), ns.Path(), conf, res, useSearch, servers); err != nil {
		return err
	}
	if res.Err != nil {
		return fmt.Errorf("dns: %w%s", res.Err, dnsHint(res))
	}
	return nil
}

// parseServer accepts IP, IP:PORT, [IPv6]:PORT and bare IPv6.
func parseServer(s string) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 53), nil
	}
	ap, err := parseHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("@%s: want @IP or @IP:PORT (IPv6: @[ADDR]:PORT)", s)
	}
	return ap, nil
}

func rrsJSON(rrs []dns.RR) []dnsRRJSON {
	out := []dnsRRJSON{}
	for _, rr := range rrs {
		h := rr.Header()
		out = append(out, dnsRRJSON{Name: h.Name, Type: dns.TypeToString[h.Rrtype], TTL: h.Ttl,
			Data: strings.TrimPrefix(rr.String(), h.String())})
	}
	return out
}

func printDNS(e env, from, nsPath string, conf *probe.ResolvConf, res *probe.Result, search bool, servers []netip.AddrPort) error {
	w := e.stdout
	fmt.Fprintf(w, "; <<>> netdiag dns <<>> %s %s from %s (%s)\n", res.Name, res.Type, from, nsPath)
	var ns []string
	for _, a := range conf.Nameservers {
		ns = append(ns, a.String())
	}
	fmt.Fprintf(w, ";; resolv.conf %s: nameserver %s; search %s; ndots:%d timeout:%d attempts:%d\n",
		conf.Source, strings.Join(ns, " "), joinOrNone(conf.Search), conf.Ndots, int(conf.Timeout/time.Second), conf.Attempts)
	for _, warn := range conf.Warnings {
		fmt.Fprintf(w, ";; resolv.conf warning: %s\n", warn)
	}
	if len(servers) > 0 {
		var s []string
		for _, a := range servers {
			s = append(s, a.String())
		}
		fmt.Fprintf(w, ";; servers: %s (search list %s)\n", strings.Join(s, " "), map[bool]string{true: "applied", false: "not applied"}[search])
	}
	fmt.Fprintln(w)
	t := newTable(w, "#", "NAME", "TYPE", "SERVER", "PROTO", "STATUS", "ANSWERS", "TIME")
	for i, q := range res.Queries {
		st := q.Rcode
		if q.Truncated {
			st += " (truncated)"
		}
		if q.Err != nil {
			st = shortErr(q.Err)
		}
		t.row(i+1, q.Name, q.Type, q.Server, q.Proto, st, q.Answers, fmtMs(q.RTT))
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n;; status: %s, name: %s\n", res.Status, res.FinalName)
	if res.Reply != nil && len(res.Reply.Answer) > 0 {
		fmt.Fprintln(w, "\n;; ANSWER SECTION:")
		for _, rr := range res.Reply.Answer {
			fmt.Fprintln(w, rr.String())
		}
	}
	if res.Reply != nil && len(res.Reply.Ns) > 0 && res.Err != nil {
		fmt.Fprintln(w, "\n;; AUTHORITY SECTION:")
		for _, rr := range res.Reply.Ns {
			fmt.Fprintln(w, rr.String())
		}
	}
	if n := len(res.Queries); n > 0 {
		last := res.Queries[n-1]
		fmt.Fprintf(w, "\n;; Query time: %s (total %s, %d queries)\n", fmtMs(last.RTT), fmtMs(res.Total), n)
	}
	if res.Reply != nil {
		proto := "udp"
		for _, q := range res.Queries {
			if q.Server == res.Server && q.Rcode != "" {
				proto = q.Proto
			}
		}
		fmt.Fprintf(w, ";; SERVER: %s#%d(%s)\n", res.Server.Addr(), res.Server.Port(), proto)
	}
	return nil
}

func joinOrNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, " ")
}

func shortErr(err error) string {
	switch {
	case errors.Is(err, probe.ErrTimeout):
		return "TIMEOUT"
	case errors.Is(err, probe.ErrConnRefused):
		return "CONN-REFUSED"
	}
	return err.Error()
}

// dnsHint says what to check for the failures the guides describe.
func dnsHint(r *probe.Result) string {
	switch {
	case errors.Is(r.Err, probe.ErrTimeout):
		return "; check the DNS service's endpoints (kube-dns/CoreDNS pods), NodeLocal DNSCache, and the path with 'netdiag probe --udp SERVER:53'"
	case errors.Is(r.Err, probe.ErrConnRefused):
		return "; nothing answers on the DNS server's port: is CoreDNS / NodeLocal DNSCache running?"
	case errors.Is(r.Err, probe.ErrUnreachable):
		return "; the pod has no path to the DNS server: check its routes and the node's ('netdiag ip route')"
	case errors.Is(r.Err, probe.ErrServFail):
		return "; the DNS server failed upstream: check its logs"
	}
	return ""
}
