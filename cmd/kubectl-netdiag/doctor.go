package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	ucli "github.com/urfave/cli/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/netdiag/netdiag/cmd/kubectl-netdiag/fleet"
)

func init() {
	register(&ucli.Command{
		Name:      "doctor",
		Usage:     "run netdiag doctor on many nodes; one merged report",
		ArgsUsage: " ",
		Description: "Runs `netdiag doctor -o json` on each selected node and prints a node × check table, then the\n" +
			"findings grouped by check with the nodes that have them. Exits 3 when any node has a warn or fail\n" +
			"finding, 1 when a node could not be examined (the others still are).",
		Flags: append(nodeFlags(),
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "table or json"},
			&ucli.StringSliceFlag{Name: "check", Usage: "run only these check IDs (repeatable)"},
			&ucli.StringSliceFlag{Name: "skip", Usage: "skip these check IDs (repeatable)"},
			&ucli.StringFlag{Name: "sample", Usage: "time between the two counter samples (netdiag doctor's --sample)"},
		),
		Action: runDoctor,
	})
}

func runDoctor(c *ucli.Context) error {
	format := c.String("output")
	if format != "table" && format != "json" {
		return usageErrorf("unsupported output format %q", format)
	}
	if c.NArg() > 0 {
		return usageErrorf("doctor takes no arguments")
	}
	sel, err := nodeSelection(c)
	if err != nil {
		return err
	}
	args := []string{"-o", "json", "doctor"}
	for _, x := range c.StringSlice("check") {
		args = append(args, "--check", x)
	}
	for _, x := range c.StringSlice("skip") {
		args = append(args, "--skip", x)
	}
	if s := c.String("sample"); s != "" {
		args = append(args, "--sample", s)
	}
	k, err := kubeOf(c)
	if err != nil {
		return err
	}
	nodes, err := fleet.Nodes(c.Context, k.rest, sel)
	if err != nil {
		return err
	}
	s, err := session(c, k)
	if err != nil {
		return err
	}
	defer closeSession(c, s)
	results := make([]fleet.NodeDoctor, len(nodes))
	errs := fleet.ForEach(c.Context, nodes, c.Int("parallel"), func(ctx context.Context, n *corev1.Node) error {
		car, err := s.Carrier(ctx, n)
		if err != nil {
			return err
		}
		verbosef(c, "node %s: pod %s on %s (%s), binary copied in %v, checked by %s", n.Name, car.Pod, car.Image.Image, car.Image.Source, car.CopyTime.Round(1e6), car.Verify)
		var out, errb bytes.Buffer
		code, err := car.Run(ctx, args, fleet.Output{Stdout: &out, Stderr: &errb})
		if err != nil {
			return err
		}
		if code != 0 && code != 3 {
			return fmt.Errorf("netdiag doctor exited %d: %s", code, strings.TrimSpace(errb.String()))
		}
		rep, err := fleet.ParseDoctor(out.Bytes())
		if err != nil {
			return err
		}
		for i := range nodes {
			if nodes[i].Name == n.Name {
				results[i] = fleet.NodeDoctor{Node: n.Name, Report: rep, ExitCode: code, Carrier: car.Image.Image + " (" + car.Image.Source + ")"}
			}
		}
		return nil
	})
	failed := false
	for i, err := range errs {
		if err != nil {
			failed = true
			results[i] = fleet.NodeDoctor{Node: nodes[i].Name, Error: err.Error()}
		}
	}
	m := fleet.Merge(results)
	if format == "json" {
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "%s\n", b)
	} else {
		renderMerged(c.App.Writer, m)
	}
	switch {
	case c.Context.Err() != nil:
		return c.Context.Err()
	case failed:
		return &exitErr{code: exitError, err: fmt.Errorf("%d of %d nodes could not be examined (see the table)", countErr(errs), len(nodes))}
	case m.Problems:
		return &exitErr{code: exitProblems}
	}
	return nil
}

func countErr(errs []error) int {
	n := 0
	for _, e := range errs {
		if e != nil {
			n++
		}
	}
	return n
}

// renderMerged prints the node × check table (rows: checks, columns:
// nodes — there are more checks than nodes, usually), then the findings
// by check.
func renderMerged(w io.Writer, m fleet.Merged) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprint(tw, "CHECK")
	for _, n := range m.Nodes {
		fmt.Fprintf(tw, "\t%s", n.Node)
	}
	fmt.Fprintln(tw)
	for _, ch := range m.Checks {
		fmt.Fprint(tw, ch)
		for _, n := range m.Nodes {
			v := n.Cells[ch]
			switch {
			case n.Error != "":
				v = "error"
			case v == "":
				v = "-"
			case v == "fail" || v == "warn":
				v = strings.ToUpper(v)
			}
			fmt.Fprintf(tw, "\t%s", v)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	for _, n := range m.Nodes {
		if n.Error != "" {
			fmt.Fprintf(w, "\nERROR %s: %s\n", n.Node, n.Error)
		}
	}
	for _, g := range m.Groups {
		fmt.Fprintf(w, "\n%s %s on %s\n", strings.ToUpper(g.Severity), g.Check, strings.Join(g.Nodes, ", "))
		for _, f := range g.Findings {
			fmt.Fprintf(w, "  %s: %s %s\n", f.Node, f.Severity, f.Summary)
			keys := make([]string, 0, len(f.Evidence))
			for k := range f.Evidence {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				b, _ := json.Marshal(f.Evidence[k])
				fmt.Fprintf(w, "      %s: %s\n", k, b)
			}
			for _, fix := range f.Fix {
				fmt.Fprintf(w, "    fix: %s\n", fix)
			}
		}
	}
	if len(m.Groups) == 0 {
		fmt.Fprintln(w, "\nno findings")
	}
}
