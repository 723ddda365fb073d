package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/checks"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/snapshot"
	"github.com/netdiag/netdiag/stale"
)

func init() {
	register(&ucli.Command{
		Name:      "doctor",
		Usage:     "check every known failure mode of node networking; say what is wrong, the evidence and the fix",
		ArgsUsage: " ",
		Description: "Reads the node (or one pod, with a selector) once, samples counters twice --sample apart,\n" +
			"and runs every check of FAILURE-MODES.md against that snapshot. Read-only.\n" +
			"Exits 3 when any finding is warn or fail. Checks: " + strings.Join(checks.IDs(), ", "),
		Flags: append(selectorFlags(),
			&ucli.StringSliceFlag{Name: "check", Usage: "run only these check IDs (repeatable)"},
			&ucli.StringSliceFlag{Name: "skip", Usage: "skip these check IDs (repeatable)"},
			&ucli.DurationFlag{Name: "sample", Value: 2 * time.Second, Usage: "time between the two counter samples"},
			&ucli.DurationFlag{Name: "kernel-log-window", Value: time.Hour, Usage: "how far back kernel log lines count"},
		),
		Action: runDoctor,
	})
}

func runDoctor(c *ucli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("doctor takes no arguments; select a pod with --pod-ip, --pod, --pod-uid, --pid or --netns")
	}
	cs, err := checks.Select(c.StringSlice("check"), c.StringSlice("skip"))
	if err != nil {
		return usageErrorf("%v", err)
	}
	if c.Duration("sample") <= 0 {
		return usageErrorf("--sample must be positive")
	}
	var pod *node.Pod
	var inv *node.Inventory
	askedAt := stale.BootTicks()
	if !selectorOf(c).Empty() {
		if pod, inv, err = resolvePod(c); err != nil {
			return err
		}
	} else if inv, err = loadInventory(c); err != nil {
		return err
	}
	o := doctorOptions(c, inv, pod)
	o.StaleAskedAt = askedAt
	o.Sample = c.Duration("sample")
	o.KernelLogWindow = c.Duration("kernel-log-window")
	o.Drops = true // drop reasons as evidence, when the kernel allows
	o.DNS = true
	snap, err := snapshot.Collect(contextOf(c), o)
	if err != nil {
		return err
	}
	rep := checks.Judge(snap, cs, pod)
	e := envOf(c)
	if isJSON(c) {
		err = writeJSON(e.stdout, rep)
	} else {
		err = printDoctor(e.stdout, rep)
	}
	if err != nil {
		return err
	}
	if checks.Problems(rep.Findings) {
		return problemsFound()
	}
	return nil
}

// doctorOptions are the snapshot options of the global flags.
func doctorOptions(c *ucli.Context, inv *node.Inventory, pod *node.Pod) snapshot.Options {
	g := globals(c)
	return snapshot.Options{
		Node:      node.Options{HostRoot: g.HostRoot, NodeNetNS: g.NodeNetNS, RuntimeEndpoint: g.RuntimeEndpoint},
		Inventory: inv,
		Pod:       pod,
	}
}

func printDoctor(w io.Writer, rep checks.Report) error {
	counts := map[string]int{}
	for _, f := range rep.Findings {
		counts[f.Severity]++
	}
	last := ""
	for _, f := range rep.Findings {
		if f.Severity != last {
			fmt.Fprintf(w, "%s (%d)\n", strings.ToUpper(f.Severity), counts[f.Severity])
			last = f.Severity
		}
		obj := ""
		if f.Object != nil {
			obj = " [" + f.Object.Kind + " " + f.Object.Name + "]"
		}
		fmt.Fprintf(w, "  %s%s: %s\n", f.Check, obj, f.Summary)
		if ev := evidenceLine(f.Evidence); ev != "" {
			fmt.Fprintf(w, "      evidence: %s\n", ev)
		}
		for _, fix := range f.Fix {
			fmt.Fprintf(w, "      fix: %s\n", fix)
		}
	}
	if len(rep.Findings) > 0 {
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "%d checks run: %d fail, %d warn, %d info\n", len(rep.Checks), counts[checks.Fail], counts[checks.Warn], counts[checks.Info])
	return err
}

// evidenceLine prints evidence as sorted key=value pairs.
func evidenceLine(ev map[string]any) string {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := ev[k]
		var s string
		switch v.(type) {
		case string, int, int64, uint64, uint16, uint32, float64, bool:
			s = fmt.Sprint(v)
		default:
			b, _ := json.Marshal(v)
			s = string(b)
		}
		parts = append(parts, k+"="+s)
	}
	return strings.Join(parts, " ")
}
