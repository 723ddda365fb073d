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

	"github.com/netdiag/netdiag/dropmon"
)

func init() {
	register(&ucli.Command{
		Name:      "drops",
		Usage:     "count the packets the kernel drops, by drop reason and kernel function",
		ArgsUsage: "[SELECTOR]",
		Description: "Reads the kernel's drop reasons (Linux 5.17+) without eBPF: the NET_DM drop monitor in\n" +
			"packet mode when the kernel has it and nobody else uses it, else the skb:kfree_skb\n" +
			"tracepoint through perf_event_open. Counts are per reason, function (from /proc/kallsyms)\n" +
			"and protocol, highest first, like a summary of `perf script -e skb:kfree_skb`.\n" +
			"The tracepoint sees every namespace and carries no packet bytes, so drops of one pod\n" +
			"(a SELECTOR) need NET_DM. Changes no tracing state; NET_DM settings are restored on exit.\n" +
			"--duration 0 counts until interrupted.",
		Flags: append(selectorFlags(),
			&ucli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "count for `D` (0: until interrupted)"},
			&ucli.DurationFlag{Name: "interval", Usage: "also print the counts of every `D`"},
			&ucli.StringSliceFlag{Name: "reason", Usage: "only drops of this `REASON` (NETFILTER_DROP, IP_RPFILTER, …; repeatable)"},
			&ucli.StringFlag{Name: "source", Value: "auto", Usage: "auto, tracepoint or netdm"},
		),
		Action: runDrops,
	})
}

// dropsReport is the JSON of `drops`.
type dropsReport struct {
	Source    string             `json:"source"`
	Start     time.Time          `json:"start"`
	Duration  string             `json:"duration"`
	Notes     []string           `json:"notes"`
	Drops     []dropmon.Count    `json:"drops"`
	Total     uint64             `json:"total"`
	Lost      uint64             `json:"lost"`
	Intervals []*dropmon.Report  `json:"intervals,omitempty"`
	Pod       *dropsPodSelection `json:"pod,omitempty"`
}

type dropsPodSelection struct {
	Name string       `json:"name"`
	IPs  []netip.Addr `json:"ips"`
}

// dropsOpened, when set by a test, runs once the monitor counts.
var dropsOpened func()

func runDrops(c *ucli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("drops takes no arguments; select a pod with --pod-ip, --pod, --pod-uid, --pid or --netns")
	}
	dur, every := c.Duration("duration"), c.Duration("interval")
	if dur < 0 || every < 0 {
		return usageErrorf("--duration and --interval must not be negative")
	}
	src := c.String("source")
	switch src {
	case "auto":
		src = dropmon.SourceAuto
	case dropmon.SourceTracepoint, dropmon.SourceNetDM:
	default:
		return usageErrorf("unknown --source %q: use auto, tracepoint or netdm", src)
	}
	opts := dropmon.Options{Source: src, Reasons: c.StringSlice("reason")}
	var pod *dropsPodSelection
	if !selectorOf(c).Empty() {
		p, _, err := resolvePod(c)
		if err != nil {
			return err
		}
		pod = &dropsPodSelection{Name: p.FullName()}
		for _, s := range p.IPs {
			if a, err := netip.ParseAddr(s); err == nil {
				pod.IPs = append(pod.IPs, a)
			}
		}
		if len(pod.IPs) == 0 {
			return fmt.Errorf("pod %s has no IP address to attribute drops by", pod.Name)
		}
		opts.Addrs = pod.IPs
	}

	ctx, stop := signal.NotifyContext(contextOf(c), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := dropmon.Open(opts)
	if err != nil {
		if errors.Is(err, dropmon.ErrUnknownReason) {
			return &exitError{code: ExitUsage, err: err}
		}
		return fmt.Errorf("drops: %w", err)
	}
	// Close undoes what Open changed (NET_DM settings); it runs on every
	// way out of this function, a panic included.
	defer m.Close()

	e := envOf(c)
	for _, n := range m.Notes {
		fmt.Fprintf(e.stderr, "netdiag: note: %s\n", n)
	}
	span := "until interrupted"
	if dur > 0 {
		span = "for " + dur.String()
	}
	fmt.Fprintf(e.stderr, "netdiag: counting drops from %s %s\n", sourceName(m.Source()), span)
	if dropsOpened != nil {
		dropsOpened()
	}

	total := &dropmon.Report{Source: m.Source()}
	var intervals []*dropmon.Report
	start := time.Now()
	for {
		left := time.Duration(1<<63 - 1)
		if dur > 0 {
			left = dur - time.Since(start)
		}
		if left <= 0 || ctx.Err() != nil {
			break
		}
		step := left
		if every > 0 {
			step = min(every, left)
		}
		rep, err := m.Sample(ctx, step)
		if err != nil {
			return fmt.Errorf("drops: %w", err)
		}
		total.Merge(rep)
		if every > 0 {
			intervals = append(intervals, rep)
			if !isJSON(c) {
				fmt.Fprintf(e.stdout, "%s  %d drops in %s\n", rep.Start.Local().Format("15:04:05"), rep.Total, rep.Duration.Round(time.Millisecond))
				if err := printDrops(e.stdout, rep.Counts, m.Source()); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout)
			}
		}
	}
	if err := m.Close(); err != nil {
		return fmt.Errorf("drops: restore the drop monitor: %w", err)
	}
	total.Duration = time.Since(start)
	if isJSON(c) {
		out := dropsReport{Source: m.Source(), Start: start.UTC(), Duration: total.Duration.Round(time.Millisecond).String(),
			Notes: m.Notes, Drops: total.Counts, Total: total.Total, Lost: total.Lost, Intervals: intervals, Pod: pod}
		if out.Notes == nil {
			out.Notes = []string{}
		}
		if out.Drops == nil {
			out.Drops = []dropmon.Count{}
		}
		return writeJSON(e.stdout, out)
	}
	if every > 0 {
		fmt.Fprintln(e.stdout, "TOTAL")
	}
	if err := printDrops(e.stdout, total.Counts, m.Source()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d drops in %s", total.Total, total.Duration.Round(time.Millisecond))
	if total.Lost > 0 {
		fmt.Fprintf(e.stdout, ", %d more lost (the ring or queue was full)", total.Lost)
	}
	if pod != nil {
		fmt.Fprintf(e.stdout, ", from or to pod %s", pod.Name)
	}
	_, err = fmt.Fprintln(e.stdout)
	return err
}

func sourceName(s string) string {
	if s == dropmon.SourceNetDM {
		return "the NET_DM drop monitor"
	}
	return "the skb:kfree_skb tracepoint"
}

// printDrops writes one row per count; the NET_DM source adds a packet.
func printDrops(w io.Writer, cs []dropmon.Count, source string) error {
	if len(cs) == 0 {
		return nil
	}
	header := []string{"COUNT", "REASON", "FUNCTION", "PROTOCOL", "LOCATION"}
	if source == dropmon.SourceNetDM {
		header = append(header, "EXAMPLE")
	}
	t := newTable(w, header...)
	for _, c := range cs {
		row := []any{c.Count, c.Reason, c.Function, c.Protocol, c.Location}
		if source == dropmon.SourceNetDM {
			var ex []string
			for _, p := range c.Examples {
				ex = append(ex, p.String())
			}
			row = append(row, strings.Join(ex, "; "))
		}
		t.row(row...)
	}
	return t.flush()
}
