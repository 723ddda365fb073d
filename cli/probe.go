package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/probe"
)

func init() {
	register(&ucli.Command{
		Name:      "probe",
		Usage:     "TCP connect or UDP probe from inside a pod's network namespace, classifying each failure",
		ArgsUsage: "SELECTOR HOST:PORT",
		Description: "Each attempt is one of: connected / answered (with RTT); refused (RST: nothing\n" +
			"listens); port-unreachable, host-unreachable, net-unreachable, admin-prohibited,\n" +
			"frag-needed, ttl-exceeded (an ICMP error, with the address of the router or host\n" +
			"that sent it); timeout (TCP: no SYN-ACK, RST or ICMP error: a DROP rule or a black\n" +
			"hole); no-answer (UDP: neither reply nor error: open and silent, or filtered);\n" +
			"no-route (the pod netns has no route; nothing was sent); blocked-locally (a rule\n" +
			"in the pod netns dropped it). ICMP errors come from IP_RECVERR on the socket.\n" +
			"Routers rate-limit ICMP errors (net.ipv4.icmp_ratelimit, 1 s): with --count > 1\n" +
			"later attempts may show timeout where the first showed an ICMP error.\n\n" +
			"HOST is an IP address (IPv6 in brackets). --node probes from the node netns.\n\n" +
			"Exit status: 0 when every attempt connected or was answered, 3 when the probe ran\n" +
			"and at least one attempt failed, 1 when it could not run, 2 on bad usage.",
		Flags: append(selectorFlags(),
			&ucli.BoolFlag{Name: "node", Usage: "probe from the node's network namespace instead of a pod's"},
			&ucli.BoolFlag{Name: "udp", Aliases: []string{"u"}, Usage: "send a UDP datagram instead of a TCP connect"},
			&ucli.IntFlag{Name: "count", Aliases: []string{"c"}, Value: 3, Usage: "attempts `N` (1..1000)"},
			&ucli.DurationFlag{Name: "timeout", Aliases: []string{"W"}, Value: 3 * time.Second, Usage: "how long each attempt waits for an answer"},
			&ucli.DurationFlag{Name: "interval", Aliases: []string{"i"}, Value: 200 * time.Millisecond, Usage: "pause between attempts"},
			&ucli.StringFlag{Name: "payload", Value: "netdiag", Usage: "UDP payload `STR` (\\xNN escapes allowed)"},
		),
		Action: runProbe,
	})
}

// probeAttempt is one line of `probe -o json`.
type probeAttempt struct {
	Seq     int         `json:"seq"`
	Result  probe.Kind  `json:"result"`
	OK      bool        `json:"ok"`
	RTTMs   float64     `json:"rttMs"`
	From    string      `json:"from,omitempty"`
	ICMP    *probe.ICMP `json:"icmp,omitempty"`
	Local   string      `json:"local,omitempty"`
	Bytes   int         `json:"bytes,omitempty"`
	Error   string      `json:"error,omitempty"`
	Summary string      `json:"summary"`
}

type probeReport struct {
	Pod      string         `json:"pod,omitempty"`
	NetNS    string         `json:"netns"`
	Protocol string         `json:"protocol"`
	Target   string         `json:"target"`
	Sent     int            `json:"sent"`
	OK       int            `json:"ok"`
	Failed   int            `json:"failed"`
	Results  map[string]int `json:"results"`
	MinMs    *float64       `json:"minRttMs,omitempty"`
	AvgMs    *float64       `json:"avgRttMs,omitempty"`
	MaxMs    *float64       `json:"maxRttMs,omitempty"`
	Attempts []probeAttempt `json:"attempts"`
}

func runProbe(c *ucli.Context) error {
	args, err := positionalArgs(c)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageErrorf("probe needs one HOST:PORT, got %d arguments: netdiag probe --pod-ip IP 10.96.0.10:53 [--udp]", len(args))
	}
	target, err := parseHostPort(args[0])
	if err != nil {
		return usageErrorf("probe: %v", err)
	}
	count := c.Int("count")
	if count < 1 || count > 1000 {
		return usageErrorf("probe: --count must be 1..1000, got %d", count)
	}
	timeout, interval := c.Duration("timeout"), c.Duration("interval")
	if timeout <= 0 || timeout > 5*time.Minute {
		return usageErrorf("probe: --timeout must be above 0 and at most 5m, got %s", timeout)
	}
	if interval < 0 {
		return usageErrorf("probe: --interval must not be negative")
	}
	payload, err := unescape(c.String("payload"))
	if err != nil {
		return usageErrorf("probe: --payload: %v", err)
	}
	ns, pod, err := probeNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()

	ctx, stop := signalContext(c)
	defer stop()
	proto := "tcp"
	if c.Bool("udp") {
		proto = "udp"
	}
	rep := probeReport{NetNS: ns.Path(), Protocol: proto, Target: target.String(), Results: map[string]int{}, Attempts: []probeAttempt{}}
	if pod != nil {
		rep.Pod = pod.FullName()
	}
	e := envOf(c)
	// Lines are printed as attempts finish, so columns have fixed widths.
	const lineFmt = "%-4v %-18s %12s  %-15s %s\n"
	if !isJSON(c) {
		fmt.Fprintf(e.stdout, "PROBE %s %s from %s (%s)\n", strings.ToUpper(proto), target, podLabel(pod), ns.Path())
		fmt.Fprintf(e.stdout, lineFmt, "SEQ", "RESULT", "RTT", "FROM", "DETAIL")
	}
	var sum time.Duration
	for i := 1; i <= count; i++ {
		if i > 1 && interval > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(interval):
			}
		}
		if ctx.Err() != nil {
			break
		}
		var o probe.Outcome
		if proto == "udp" {
			o, err = probe.UDP(ctx, ns, target, payload, timeout)
		} else {
			o, err = probe.TCP(ctx, ns, target, timeout)
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return err
		}
		a := probeAttempt{Seq: i, Result: o.Kind, OK: o.Kind.OK(), RTTMs: ms(o.RTT), ICMP: o.ICMP, Bytes: o.Bytes, Summary: o.String()}
		if o.From.IsValid() {
			a.From = o.From.String()
		}
		if o.Local.IsValid() {
			a.Local = o.Local.String()
		}
		if o.Err != nil {
			a.Error = o.Err.Error()
		}
		rep.Attempts = append(rep.Attempts, a)
		rep.Sent++
		rep.Results[string(o.Kind)]++
		if a.OK {
			rep.OK++
			sum += o.RTT
			v := ms(o.RTT)
			if rep.MinMs == nil || v < *rep.MinMs {
				rep.MinMs = &v
			}
			if rep.MaxMs == nil || v > *rep.MaxMs {
				rep.MaxMs = &v
			}
		} else {
			rep.Failed++
		}
		if !isJSON(c) {
			from := a.From
			if from == "" {
				from = "-"
			}
			fmt.Fprintf(e.stdout, lineFmt, i, o.Kind, fmtMs(o.RTT), from, o.String())
		}
	}
	if rep.OK > 0 {
		v := ms(sum / time.Duration(rep.OK))
		rep.AvgMs = &v
	}
	if isJSON(c) {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		line := fmt.Sprintf("--- %s %s: %d sent, %d ok, %d failed", proto, target, rep.Sent, rep.OK, rep.Failed)
		if len(rep.Results) > 0 {
			var parts []string
			for _, k := range sortedKeys(rep.Results) {
				parts = append(parts, fmt.Sprintf("%s %d", k, rep.Results[k]))
			}
			line += " (" + strings.Join(parts, ", ") + ")"
		}
		if rep.AvgMs != nil {
			line += fmt.Sprintf("; rtt min/avg/max %.3f/%.3f/%.3f ms", *rep.MinMs, *rep.AvgMs, *rep.MaxMs)
		}
		fmt.Fprintln(e.stdout, line)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("probe: interrupted after %d attempts", rep.Sent)
	}
	if rep.Failed > 0 {
		return problemsFound()
	}
	return nil
}

// probeNetNS opens the netns dns and probe work in: the selected pod's, or
// the node's with --node. A selector is required otherwise.
func probeNetNS(c *ucli.Context) (*nsutil.NetNS, *node.Pod, error) {
	sel := selectorOf(c)
	if c.Bool("node") {
		if !sel.Empty() {
			return nil, nil, usageErrorf("%s: give either --node or a pod selector, not both", c.Command.Name)
		}
		return targetNetNS(c)
	}
	if sel.Empty() {
		return nil, nil, usageErrorf("%s needs a pod: give --pod-ip, --pod, --pod-uid, --pid or --netns (or --node for the node netns)", c.Command.Name)
	}
	return targetNetNS(c)
}

func podLabel(p *node.Pod) string {
	if p == nil {
		return "the node"
	}
	return p.FullName()
}

// signalContext is cancelled by Ctrl-C or SIGTERM so a long probe stops
// cleanly with what it has.
func signalContext(c *ucli.Context) (context.Context, context.CancelFunc) {
	parent := c.Context
	if parent == nil {
		parent = context.Background()
	}
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

// parseHostPort accepts IP:PORT and [IPv6]:PORT; names are refused since
// resolving them in netdiag's own netns could give a different answer than
// the pod would get (use `netdiag dns` first).
func parseHostPort(s string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q is not HOST:PORT (IPv6: [ADDR]:PORT)", s)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q is not an IP address: resolve names with 'netdiag dns' first", host)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, fmt.Errorf("%q is not a port (1..65535)", port)
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// unescape turns \xNN, \n, \r, \t and \\ into bytes.
func unescape(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 >= len(s) {
			return nil, errors.New("trailing backslash")
		}
		i++
		switch s[i] {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case '\\':
			out = append(out, '\\')
		case 'x':
			if i+3 > len(s) {
				return nil, errors.New(`\x needs two hex digits`)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, errors.New(`\x needs two hex digits`)
			}
			out = append(out, byte(v))
			i += 2
		default:
			return nil, fmt.Errorf(`unknown escape \%c`, s[i])
		}
	}
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fmtMs(d time.Duration) string { return strconv.FormatFloat(ms(d), 'f', 3, 64) + " ms" }

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// positionalArgs returns the command's arguments and applies flags given
// after them (`netdiag dns --pod-ip IP NAME --type AAAA`): urfave/cli stops
// parsing flags at the first argument. "--" ends flag parsing.
func positionalArgs(c *ucli.Context) ([]string, error) {
	args := c.Args().Slice()
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out = append(out, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			out = append(out, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := findFlag(c, name)
		if f == nil {
			return nil, usageErrorf("flag provided but not defined: %s", a)
		}
		canon := f.Names()[0]
		if _, isBool := f.(*ucli.BoolFlag); isBool {
			if !hasVal {
				val = "true"
			}
		} else if !hasVal {
			if i+1 >= len(args) {
				return nil, usageErrorf("flag needs an argument: %s", a)
			}
			i++
			val = args[i]
		}
		if err := c.Set(canon, val); err != nil {
			return nil, usageErrorf("invalid value %q for flag %s: %v", val, a, err)
		}
	}
	return out, nil
}

// findFlag finds a flag of the command or a global one by any of its names.
func findFlag(c *ucli.Context, name string) ucli.Flag {
	for _, fs := range [][]ucli.Flag{c.Command.Flags, c.App.Flags} {
		for _, f := range fs {
			for _, n := range f.Names() {
				if n == name {
					return f
				}
			}
		}
	}
	return nil
}
