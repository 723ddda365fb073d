package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/checks"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/stale"
)

// doctorHooks lets the stale-container scan and DNS probes plug into the
// doctor from their own command files.
var doctorHooks struct {
	// stale returns the scan for an inventory loaded after askedAt (a
	// stale.BootTicks reading; 0 judges every process).
	stale func(askedAt uint64, hostRoot string) func(ctx context.Context, inv *node.Inventory, pod *node.Pod) ([]checks.StaleProcess, error)
	dns   func(c *ucli.Context) func(ctx context.Context, pods []*node.Pod) ([]checks.DNSResult, error)
}

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

// doctorReport is the JSON of DESIGN.md.
type doctorReport struct {
	Checks   []string         `json:"checks"`
	Findings []checks.Finding `json:"findings"`
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
	opts := doctorOptions(c, inv, pod, askedAt)
	opts.Sample = c.Duration("sample")
	opts.KernelLogWindow = c.Duration("kernel-log-window")
	opts.Drops = true // drop reasons as evidence, when the kernel allows
	if doctorHooks.dns != nil {
		opts.DNS = doctorHooks.dns(c)
	}
	rep, err := doctorRun(contextOf(c), opts, cs)
	if err != nil {
		return err
	}
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

// doctorOptions are the collect options of the global flags, without DNS
// probes (they send queries; the caller adds them).
func doctorOptions(c *ucli.Context, inv *node.Inventory, pod *node.Pod, askedAt uint64) checks.CollectOptions {
	g := globals(c)
	o := checks.CollectOptions{
		Node:      node.Options{HostRoot: g.HostRoot, NodeNetNS: g.NodeNetNS, RuntimeEndpoint: g.RuntimeEndpoint},
		Inventory: inv,
		Pod:       pod,
	}
	if doctorHooks.stale != nil {
		o.Stale = doctorHooks.stale(askedAt, g.HostRoot)
	}
	return o
}

// doctorRun collects one snapshot and runs the checks on it.
func doctorRun(ctx context.Context, opts checks.CollectOptions, cs []checks.Check) (doctorReport, error) {
	snap, err := checks.Collect(ctx, opts)
	if err != nil {
		return doctorReport{}, err
	}
	findings := checks.Run(snap, cs)
	if opts.Pod != nil {
		findings = forPod(findings, opts.Pod)
	}
	rep := doctorReport{Checks: []string{}, Findings: findings}
	for _, ch := range cs {
		rep.Checks = append(rep.Checks, ch.ID)
	}
	if rep.Findings == nil {
		rep.Findings = []checks.Finding{}
	}
	return rep, nil
}

// forPod keeps node-wide findings and those about the selected pod.
func forPod(fs []checks.Finding, pod *node.Pod) []checks.Finding {
	var out []checks.Finding
	for _, f := range fs {
		if f.Object == nil || f.Object.Kind != "pod" || f.Object.Name == pod.FullName() {
			out = append(out, f)
		}
	}
	return out
}

func printDoctor(w io.Writer, rep doctorReport) error {
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
