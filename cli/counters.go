package cli

import (
	"fmt"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/counters"
	"github.com/netdiag/netdiag/nsutil"
)

func init() {
	register(&ucli.Command{
		Name:      "counters",
		Usage:     "show the SNMP and netstat counters of the node or a pod, like nstat -a",
		ArgsUsage: "[SELECTOR] [NAME…]",
		Description: "Reads /proc/net/snmp, /proc/net/snmp6 and /proc/net/netstat as the namespace sees\n" +
			"them, under nstat's names (TcpExtListenOverflows, IpInReceives, …). NAME arguments\n" +
			"keep only counters whose name contains one of them (case-insensitive). With\n" +
			"--interval D it samples twice and shows the change over D.",
		Flags: append(selectorFlags(),
			&ucli.DurationFlag{Name: "interval", Usage: "sample twice, `D` apart, and show the deltas"},
			&ucli.BoolFlag{Name: "nonzero", Aliases: []string{"z"}, Usage: "only counters whose value (or delta) is not zero"},
		),
		Action: runCounters,
	})
}

func runCounters(c *ucli.Context) error {
	cs, interval, err := sample(c, counters.Read, counters.Delta)
	if err != nil {
		return err
	}
	var patterns []string
	for _, a := range c.Args().Slice() {
		patterns = append(patterns, strings.ToLower(a))
	}
	out := counters.List{}
	for _, ctr := range cs {
		if c.Bool("nonzero") && ctr.Value == 0 {
			continue
		}
		if len(patterns) > 0 {
			keep := false
			for _, p := range patterns {
				keep = keep || strings.Contains(strings.ToLower(ctr.Name), p)
			}
			if !keep {
				continue
			}
		}
		out = append(out, ctr)
	}
	e := envOf(c)
	if isJSON(c) {
		v := struct {
			Interval string        `json:"interval,omitempty"`
			Counters counters.List `json:"counters"`
		}{Counters: out}
		if interval > 0 {
			v.Interval = interval.String()
		}
		return writeJSON(e.stdout, v)
	}
	header := "VALUE"
	if interval > 0 {
		header = fmt.Sprintf("DELTA/%s", interval)
	}
	t := newTable(e.stdout, "NAME", header)
	for _, ctr := range out {
		t.row(ctr.Name, fmt.Sprint(ctr.Value))
	}
	return t.flush()
}

// sample reads once from the target netns, or with --interval D twice, D
// apart, and returns delta(first, second).
func sample[T any](c *ucli.Context, read func(*nsutil.NetNS) (T, error), delta func(before, after T) T) (T, time.Duration, error) {
	var zero T
	interval := c.Duration("interval")
	if interval < 0 {
		return zero, 0, usageErrorf("--interval must be positive, got %s", interval)
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return zero, 0, err
	}
	defer ns.Close()
	v, err := read(ns)
	if err != nil || interval == 0 {
		return v, interval, err
	}
	select {
	case <-time.After(interval):
	case <-c.Context.Done():
		return zero, 0, c.Context.Err()
	}
	after, err := read(ns)
	if err != nil {
		return zero, 0, err
	}
	return delta(v, after), interval, nil
}
