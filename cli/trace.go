package cli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/nftrace"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
)

func init() {
	register(&ucli.Command{
		Name:      "trace",
		Usage:     "follow packets through every nftables and iptables-nft rule of the node or a pod, with verdicts",
		ArgsUsage: "[SELECTOR]",
		Description: "Adds a temporary table (inet netdiag-trace-PID, chains at priority -400 on prerouting and\n" +
			"output) that sets nftrace on the packets the filters select, then prints every rule, return\n" +
			"and policy each of them meets, like `nft monitor trace`, with rules as `netdiag iptables` and\n" +
			"`netdiag nft` print them. With a SELECTOR it traces in the pod's netns, or with --node in the\n" +
			"node's netns the packets from or to the pod. It changes the netns, so it asks first (--yes\n" +
			"skips; without a terminal --yes is needed). The table is owned by netdiag's netlink socket,\n" +
			"so the kernel removes it however netdiag ends (Linux 5.12+; older kernels are refused).\n" +
			"iptables-legacy rules are not nf_tables: tracing them needs the nft backend.",
		Flags: append(selectorFlags(),
			&ucli.BoolFlag{Name: "node", Usage: "trace in the node netns (with a SELECTOR: the pod's packets there)"},
			&ucli.StringFlag{Name: "proto", Aliases: []string{"p"}, Usage: "only `PROTO`: tcp, udp, icmp, icmp6, sctp"},
			&ucli.StringFlag{Name: "src", Usage: "only packets from `IP`"},
			&ucli.StringFlag{Name: "dst", Usage: "only packets to `IP`"},
			&ucli.UintFlag{Name: "sport", Usage: "only packets from `PORT` (needs -p)"},
			&ucli.UintFlag{Name: "dport", Usage: "only packets to `PORT` (needs -p)"},
			&ucli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "trace for `D` (0: until interrupted)"},
			&ucli.IntFlag{Name: "count", Aliases: []string{"c"}, Usage: "stop after `N` packets"},
			&ucli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask before adding the table (needed without a terminal)"},
		),
		Action: runTrace,
	})
}

// traceReport is the JSON of `trace`.
type traceReport struct {
	NetNS   string          `json:"netns"`
	Table   string          `json:"table"`
	Filter  string          `json:"filter"`
	Notes   []string        `json:"notes"`
	Packets []*nftrace.Path `json:"packets"`
	Lost    bool            `json:"lost,omitempty"`
}

// traceStarted, when set by a test, runs once the table is in place.
var traceStarted func(table string)

func traceFilter(c *ucli.Context) (nftrace.Filter, error) {
	f := nftrace.Filter{Proto: strings.ToLower(c.String("proto"))}
	for _, a := range []struct {
		flag string
		dst  *netip.Addr
	}{{"src", &f.Src}, {"dst", &f.Dst}} {
		if s := c.String(a.flag); s != "" {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				return f, usageErrorf("--%s %q is not an IP address", a.flag, s)
			}
			*a.dst = ip.Unmap()
		}
	}
	for _, p := range []struct {
		flag string
		dst  *uint16
	}{{"sport", &f.SrcPort}, {"dport", &f.DstPort}} {
		v := c.Uint(p.flag)
		if v > 65535 {
			return f, usageErrorf("--%s %d is not a port", p.flag, v)
		}
		*p.dst = uint16(v)
	}
	if err := f.Validate(); err != nil {
		return f, usageErrorf("%v", err)
	}
	return f, nil
}

func runTrace(c *ucli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("trace takes no arguments; filter with -p, --src, --dst, --sport, --dport")
	}
	f, err := traceFilter(c)
	if err != nil {
		return err
	}
	if c.Duration("duration") < 0 || c.Int("count") < 0 {
		return usageErrorf("--duration and --count must not be negative")
	}
	podSelected := !selectorOf(c).Empty()
	if !podSelected && f.String() == (nftrace.Filter{}).String() {
		return usageErrorf("trace on the node needs a filter: a pod (--pod-ip …), -p, --src, --dst or --dport")
	}
	if err := needsTTYOrYes(c, "trace"); err != nil {
		return err
	}
	var ns *nsutil.NetNS
	var pod *node.Pod
	if podSelected && c.Bool("node") {
		if pod, _, err = resolvePod(c); err != nil {
			return err
		}
		for _, s := range pod.IPs {
			if a, err := netip.ParseAddr(s); err == nil {
				f.Addrs = append(f.Addrs, a)
			}
		}
		if len(f.Addrs) == 0 {
			return fmt.Errorf("pod %s has no IP address to trace", pod.FullName())
		}
		if ns, err = node.OpenNode(globals(c).NodeNetNS); err != nil {
			return err
		}
	} else if ns, pod, err = targetNetNS(c); err != nil {
		return err
	}
	defer ns.Close()
	where := "the node netns"
	if pod != nil && !c.Bool("node") {
		where = "the netns of pod " + pod.FullName()
	}

	e := envOf(c)
	var notes []string
	if sts, _, err := iptables.Backends(ns, globals(c).HostRoot); err == nil {
		for _, st := range sts {
			if st.Backend == iptables.Legacy && st.Rules > 0 {
				notes = append(notes, fmt.Sprintf("%d iptables-legacy rules in %s are not traced: tracing needs the nft backend (iptables-nft)", st.Rules, where))
			}
		}
	}
	for _, n := range notes {
		fmt.Fprintf(e.stderr, "netdiag: note: %s\n", n)
	}
	table := nftrace.TableName(os.Getpid())
	if !c.Bool("yes") {
		q := fmt.Sprintf("trace adds table inet %s to %s (chains at priority %d on prerouting and output that set nftrace on %s) until it exits. Go ahead?",
			table, where, nftrace.Priority, f)
		if err := confirm(c, q, "no table was added"); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(contextOf(c), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := nftrace.Start(ns, f)
	if err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	// The kernel deletes an owned table when its socket closes; Close
	// deletes it first and says whether that worked. Deferred, so a panic
	// closes it too.
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	names := nftrace.LoadNames(ns)
	dur := c.Duration("duration")
	span := "until interrupted"
	if dur > 0 {
		span = "for " + dur.String()
	}
	fmt.Fprintf(e.stderr, "netdiag: tracing %s in %s %s (table inet %s)\n", f, where, span, table)
	if traceStarted != nil {
		traceStarted(table)
	}

	var paths nftrace.Paths
	lost := false
	start, last := time.Now(), time.Now()
	limit := c.Int("count")
	for ctx.Err() == nil {
		wait := 200 * time.Millisecond
		if dur > 0 {
			left := dur - time.Since(start)
			if left <= 0 {
				break
			}
			wait = min(wait, left)
		}
		if limit > 0 && paths.Len() >= limit && time.Since(last) > 500*time.Millisecond {
			break // the last packet's hooks are done
		}
		evs, err := s.Read(wait)
		if errors.Is(err, nftrace.ErrLost) {
			lost = true
			continue
		}
		if err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		for _, ev := range evs {
			if limit > 0 && paths.Len() >= limit && !paths.Has(ev.ID) {
				continue
			}
			newPacket := !paths.Has(ev.ID)
			st := paths.Add(ev, names)
			last = time.Now()
			if !isJSON(c) {
				printTraceStep(e.stdout, ev, st, newPacket)
			}
		}
	}
	closed = true
	if err := s.Close(); err != nil {
		return fmt.Errorf("trace: %w (the kernel deletes the table when netdiag exits: it is owned by netdiag's socket)", err)
	}
	if isJSON(c) {
		if notes == nil {
			notes = []string{}
		}
		return writeJSON(e.stdout, traceReport{NetNS: ns.Path(), Table: "inet " + table, Filter: f.String(), Notes: notes, Packets: paths.All(), Lost: lost})
	}
	if lost {
		fmt.Fprintln(e.stdout, "some trace events were lost (the socket buffer was full): narrow the filter")
	}
	_, err = fmt.Fprintf(e.stdout, "%d packets traced in %s\n", paths.Len(), time.Since(start).Round(time.Millisecond))
	return err
}

// printTraceStep prints one event like `nft monitor trace` does, with the
// rule as netdiag's iptables and nft commands print it.
func printTraceStep(w io.Writer, ev nftrace.Event, st nftrace.Step, newPacket bool) {
	id := fmt.Sprintf("%08x", ev.ID)
	if pk, ok := ev.Packet(); ok {
		fmt.Fprintf(w, "trace %s %s %s %s packet: %s%s\n", id, ev.Family, ev.Table, ev.Chain, pk, ifaces(ev))
	} else if newPacket {
		fmt.Fprintf(w, "trace %s %s %s %s packet%s\n", id, ev.Family, ev.Table, ev.Chain, ifaces(ev))
	}
	switch st.Kind {
	case nftrace.KindRule:
		fmt.Fprintf(w, "trace %s %s %s %s rule %s (verdict %s)\n", id, st.Family, st.Table, st.Chain, st.Rule, st.Verdict)
	case nftrace.KindPolicy:
		fmt.Fprintf(w, "trace %s %s %s %s policy %s\n", id, st.Family, st.Table, st.Chain, st.Verdict)
	default:
		fmt.Fprintf(w, "trace %s %s %s %s %s %s\n", id, st.Family, st.Table, st.Chain, st.Kind, st.Verdict)
	}
}

func ifaces(ev nftrace.Event) string {
	var s string
	if ev.IIF != 0 {
		s += fmt.Sprintf(" iif %d", ev.IIF)
	}
	if ev.OIF != 0 {
		s += fmt.Sprintf(" oif %d", ev.OIF)
	}
	return s
}
