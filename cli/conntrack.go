package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/conntrack"
	"github.com/netdiag/netdiag/show"
)

func init() {
	register(&ucli.Command{
		Name:  "conntrack",
		Usage: "list, watch, count and delete connection tracking entries of the node or a pod",
		Description: "Works through ctnetlink inside the namespace; pod-to-service DNAT is tracked in\n" +
			"the node netns. list and delete show both IPv4 and IPv6 unless -f says otherwise\n" +
			"(conntrack -L shows only IPv4 by default).",
		Subcommands: []*ucli.Command{
			{
				Name:      "list",
				Aliases:   []string{"L"},
				Usage:     "list entries like conntrack -L",
				ArgsUsage: "[SELECTOR]",
				Flags:     append(selectorFlags(), conntrackFilterFlags()...),
				Action:    runConntrackList,
			},
			{
				Name:      "events",
				Aliases:   []string{"E"},
				Usage:     "print changes of the table like conntrack -E",
				ArgsUsage: "[SELECTOR]",
				Flags: append(append(selectorFlags(), conntrackFilterFlags()...),
					&ucli.DurationFlag{Name: "duration", Usage: "stop after `D`"},
					&ucli.IntFlag{Name: "count", Aliases: []string{"c"}, Usage: "stop after `N` events"},
				),
				Action: runConntrackEvents,
			},
			{
				Name:      "stats",
				Aliases:   []string{"S"},
				Usage:     "show count, max and per-CPU statistics like conntrack -S and -C",
				ArgsUsage: "[SELECTOR]",
				Flags: append(selectorFlags(),
					&ucli.DurationFlag{Name: "interval", Usage: "sample twice, `D` apart, and show per-CPU deltas"},
				),
				Action: runConntrackStats,
			},
			{
				Name:      "delete",
				Aliases:   []string{"D"},
				Usage:     "delete the entries the filters select, after confirmation",
				ArgsUsage: "[SELECTOR]",
				Description: "Lists the entries the filters select and asks on the terminal before deleting\n" +
					"them. Without a terminal on stdin it needs --yes (exit 2); answering no exits 1.",
				Flags: append(append(selectorFlags(), conntrackFilterFlags()...),
					&ucli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (needed without a terminal)"},
				),
				Action: runConntrackDelete,
			},
		},
	})
}

func conntrackFilterFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "family", Aliases: []string{"f"}, Usage: "`ipv4` or ipv6 (default: both)"},
		&ucli.StringFlag{Name: "proto", Aliases: []string{"p"}, Usage: "layer 4 `PROTO`: tcp, udp, icmp, icmpv6, sctp, … or a number"},
		&ucli.StringFlag{Name: "orig-src", Aliases: []string{"s", "src"}, Usage: "original source `IP` or CIDR"},
		&ucli.StringFlag{Name: "orig-dst", Aliases: []string{"d", "dst"}, Usage: "original destination `IP` or CIDR"},
		&ucli.StringFlag{Name: "reply-src", Aliases: []string{"r"}, Usage: "reply source `IP` or CIDR (the DNAT backend)"},
		&ucli.StringFlag{Name: "reply-dst", Aliases: []string{"q"}, Usage: "reply destination `IP` or CIDR"},
		&ucli.StringFlag{Name: "sport", Aliases: []string{"orig-port-src"}, Usage: "original source `PORT`"},
		&ucli.StringFlag{Name: "dport", Aliases: []string{"orig-port-dst"}, Usage: "original destination `PORT`"},
		&ucli.StringFlag{Name: "reply-port-src", Usage: "reply source `PORT`"},
		&ucli.StringFlag{Name: "reply-port-dst", Usage: "reply destination `PORT`"},
		&ucli.StringFlag{Name: "state", Usage: "protocol `STATE` (TCP: SYN_SENT, ESTABLISHED, TIME_WAIT, …)"},
		&ucli.StringFlag{Name: "mark", Aliases: []string{"m"}, Usage: "connection mark `VALUE[/MASK]`"},
	}
}

// conntrackFilter turns the flags into a filter; bad values are usage errors.
func conntrackFilter(c *ucli.Context) (conntrack.Filter, error) {
	var f conntrack.Filter
	if c.Args().Present() {
		return f, usageErrorf("%s takes no arguments, got %q: filters are flags (-s, -d, -p, --dport, …)", c.Command.Name, c.Args().First())
	}
	switch v := c.String("family"); v {
	case "":
	case "ipv4", "4", "inet":
		f.Family = syscall.AF_INET
	case "ipv6", "6", "inet6":
		f.Family = syscall.AF_INET6
	default:
		return f, usageErrorf("bad family %q: use ipv4 or ipv6", v)
	}
	if v := c.String("proto"); v != "" {
		p, err := conntrack.ParseProto(v)
		if err != nil {
			return f, usageErrorf("%v", err)
		}
		f.Proto = p
	}
	for _, a := range []struct {
		flag string
		dst  *netip.Prefix
	}{{"orig-src", &f.OrigSrc}, {"orig-dst", &f.OrigDst}, {"reply-src", &f.ReplySrc}, {"reply-dst", &f.ReplyDst}} {
		if v := c.String(a.flag); v != "" {
			p, err := conntrack.ParseAddr(v)
			if err != nil {
				return f, usageErrorf("--%s: %v", a.flag, err)
			}
			*a.dst = p
		}
	}
	for _, a := range []struct {
		flag string
		dst  **uint16
	}{{"sport", &f.OrigSport}, {"dport", &f.OrigDport}, {"reply-port-src", &f.ReplySport}, {"reply-port-dst", &f.ReplyDport}} {
		if v := c.String(a.flag); v != "" {
			n, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return f, usageErrorf("--%s: bad port %q: want 0-65535", a.flag, v)
			}
			p := uint16(n)
			*a.dst = &p
		}
	}
	if v := c.String("state"); v != "" {
		s, err := conntrack.ParseState(f.Proto, v)
		if err != nil {
			return f, usageErrorf("--state: %v", err)
		}
		f.State = s
		if f.Proto == 0 {
			f.Proto = 6
		}
	}
	if v := c.String("mark"); v != "" {
		m, mask, err := conntrack.ParseMark(v)
		if err != nil {
			return f, usageErrorf("--mark: %v", err)
		}
		f.Mark, f.MarkMask = &m, mask
	}
	return f, nil
}

// conntrackEntryJSON is the JSON form of an entry, with names spelled out.
type conntrackEntryJSON struct {
	Family string `json:"family"`
	Proto  string `json:"proto"`
	State  string `json:"state,omitempty"`
	*conntrack.Entry
	Assured   bool `json:"assured"`
	Unreplied bool `json:"unreplied"`
}

func conntrackJSON(e *conntrack.Entry) conntrackEntryJSON {
	return conntrackEntryJSON{
		Family: e.FamilyName(), Proto: conntrack.ProtoName(e.Proto), State: e.StateName(),
		Entry: e, Assured: e.Status&conntrack.Assured != 0,
		Unreplied: e.HasStatus && e.Status&conntrack.SeenReply == 0,
	}
}

func runConntrackList(c *ucli.Context) error {
	f, err := conntrackFilter(c)
	if err != nil {
		return err
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	e := envOf(c)
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	n := 0
	jsonOut := isJSON(c)
	var enc *json.Encoder
	var line []byte
	if jsonOut {
		// Streamed, one entry per line inside the array, so memory stays
		// bounded on tables of any size.
		enc = json.NewEncoder(w)
		w.WriteString("{\"entries\":[\n")
	}
	err = conntrack.Dump(ns, f, func(ent conntrack.Entry) error {
		if jsonOut {
			if n > 0 {
				w.WriteString(",")
			}
			n++
			return enc.Encode(conntrackJSON(&ent))
		}
		n++
		line = show.AppendConntrack(line[:0], &ent)
		line = append(line, '\n')
		_, err := w.Write(line)
		return err
	})
	if jsonOut {
		w.WriteString("]}\n")
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if !jsonOut {
		fmt.Fprintf(e.stderr, "netdiag conntrack: %d flow entries have been shown.\n", n)
	}
	return nil
}

func runConntrackEvents(c *ucli.Context) error {
	f, err := conntrackFilter(c)
	if err != nil {
		return err
	}
	if c.Int("count") < 0 || c.Duration("duration") < 0 {
		return usageErrorf("--count and --duration must not be negative")
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if d := c.Duration("duration"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	e := envOf(c)
	limit, n := c.Int("count"), 0
	var line []byte
	enc := json.NewEncoder(e.stdout)
	err = conntrack.Events(ctx, ns, f, func(ev conntrack.Event) error {
		if isJSON(c) {
			// One JSON object per line: a stream has no end to close an array at.
			if err := enc.Encode(struct {
				Type  string             `json:"type"`
				Entry conntrackEntryJSON `json:"entry"`
			}{ev.Type, conntrackJSON(&ev.Entry)}); err != nil {
				return err
			}
		} else {
			line = append(show.AppendConntrackEvent(line[:0], &ev), '\n')
			if _, err := e.stdout.Write(line); err != nil {
				return err
			}
		}
		n++
		if limit > 0 && n >= limit {
			return conntrack.Stop
		}
		return nil
	}, func() { fmt.Fprintln(e.stderr, "netdiag: warning: events lost: the kernel's buffer overflowed") })
	if err != nil {
		return err
	}
	if !isJSON(c) {
		fmt.Fprintf(e.stderr, "netdiag conntrack: %d flow events have been shown.\n", n)
	}
	return nil
}

func runConntrackStats(c *ucli.Context) error {
	if c.Args().Present() {
		return usageErrorf("stats takes no arguments, got %q", c.Args().First())
	}
	st, interval, err := sample(c, conntrack.ReadStats, conntrack.StatsDelta)
	if err != nil {
		return err
	}
	e := envOf(c)
	if isJSON(c) {
		v := struct {
			Count    uint64               `json:"count"`
			Max      *uint64              `json:"max"`
			Interval string               `json:"interval,omitempty"`
			Source   string               `json:"source"`
			CPUs     []conntrack.CPUStats `json:"cpus"`
		}{Count: st.Count, Source: st.Source, CPUs: st.CPUs}
		if st.HasMax {
			v.Max = &st.Max
		}
		if interval > 0 {
			v.Interval = interval.String()
		}
		return writeJSON(e.stdout, v)
	}
	max := "unknown (not readable in this netns)"
	if st.HasMax {
		max = strconv.FormatUint(st.Max, 10)
	}
	fmt.Fprintf(e.stdout, "count=%d max=%s\n", st.Count, max)
	if interval > 0 {
		fmt.Fprintf(e.stdout, "per-CPU change over %s:\n", interval)
	}
	for _, cpu := range st.CPUs {
		line := fmt.Sprintf("cpu=%-4d\t", cpu.CPU)
		for _, v := range cpu.Values {
			line += fmt.Sprintf("%s=%d ", v.Name, v.Value)
		}
		if _, err := fmt.Fprintln(e.stdout, line); err != nil {
			return err
		}
	}
	return nil
}

func runConntrackDelete(c *ucli.Context) error {
	f, err := conntrackFilter(c)
	if err != nil {
		return err
	}
	if f == (conntrack.Filter{}) {
		return usageErrorf("delete needs at least one filter (-s, -d, -p, --dport, …); it will not flush the whole table")
	}
	if err := needsTTYOrYes(c, "conntrack delete"); err != nil {
		return err
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	e := envOf(c)
	// Holding the matches is bounded by what the filter selects.
	var victims []conntrack.Entry
	if err := conntrack.Dump(ns, f, func(ent conntrack.Entry) error {
		victims = append(victims, ent)
		return nil
	}); err != nil {
		return err
	}
	if len(victims) == 0 {
		fmt.Fprintln(e.stderr, "netdiag conntrack: no entries match; nothing deleted.")
		if isJSON(c) {
			return writeJSON(e.stdout, struct {
				Deleted []conntrack.Deleted `json:"deleted"`
			}{[]conntrack.Deleted{}})
		}
		return nil
	}
	if !c.Bool("yes") {
		for i := range victims {
			fmt.Fprintf(e.stderr, "%s\n", show.AppendConntrack(nil, &victims[i]))
		}
		if err := confirm(c, fmt.Sprintf("delete these %d entries from netns %s?", len(victims), ns.Path()), "no entry deleted"); err != nil {
			return err
		}
	}
	res, err := conntrack.Delete(ns, victims)
	deleted := 0
	if isJSON(c) {
		if res == nil {
			res = []conntrack.Deleted{}
		}
		if jerr := writeJSON(e.stdout, struct {
			Deleted []conntrack.Deleted `json:"deleted"`
		}{res}); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		for i := range res {
			if res[i].Gone {
				fmt.Fprintf(e.stdout, "already gone: %s\n", show.AppendConntrack(nil, &res[i].Entry))
				continue
			}
			deleted++
			fmt.Fprintf(e.stdout, "deleted: %s\n", show.AppendConntrack(nil, &res[i].Entry))
		}
		fmt.Fprintf(e.stderr, "netdiag conntrack: %d flow entries have been deleted.\n", deleted)
	}
	return err
}
