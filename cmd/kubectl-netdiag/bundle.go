package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/netdiag/netdiag/cmd/kubectl-netdiag/fleet"
)

func init() {
	register(&ucli.Command{
		Name:      "bundle",
		Usage:     "collect every selected node's netdiag bundle into one tar.gz for a support case",
		ArgsUsage: " ",
		Description: "Runs `netdiag bundle -w -` on each node; the archive holds each node's files under NODE/ and\n" +
			"manifest.json naming the nodes and why any is missing (the others are still collected).",
		Flags: append(nodeFlags(),
			&ucli.StringFlag{Name: "write", Aliases: []string{"w"}, Usage: "write the archive to `FILE` (- for stdout)"},
			&ucli.StringFlag{Name: "max-size", Usage: "netdiag bundle's --max-size, per node"},
			&ucli.StringFlag{Name: "conntrack-sample", Usage: "netdiag bundle's --conntrack-sample, per node"},
		),
		Action: runBundle,
	})
}

func runBundle(c *ucli.Context) error {
	out := c.String("write")
	if out == "" {
		return usageErrorf("bundle needs -w FILE (or -w - for standard output)")
	}
	sel, err := nodeSelection(c)
	if err != nil {
		return err
	}
	args := []string{"bundle", "-w", "-"}
	if v := c.String("max-size"); v != "" {
		args = append(args, "--max-size", v)
	}
	if v := c.String("conntrack-sample"); v != "" {
		if _, err := strconv.Atoi(v); err != nil {
			return usageErrorf("--conntrack-sample %q: want a number", v)
		}
		args = append(args, "--conntrack-sample", v)
	}
	k, err := kubeOf(c)
	if err != nil {
		return err
	}
	nodes, err := fleet.Nodes(c.Context, k.rest, sel)
	if err != nil {
		return err
	}
	var w io.Writer = c.App.Writer
	if out != "-" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("create %s: %w", out, err)
		}
		defer f.Close()
		w = f
	}
	s, err := session(c, k)
	if err != nil {
		return err
	}
	defer closeSession(c, s)
	results := make([]fleet.NodeBundle, len(nodes))
	errs := fleet.ForEach(c.Context, nodes, c.Int("parallel"), func(ctx context.Context, n *corev1.Node) error {
		car, err := s.Carrier(ctx, n)
		if err != nil {
			return err
		}
		// A temporary file per node: bundles can be tens of MiB.
		tmp, err := os.CreateTemp("", "kubectl-netdiag-bundle-")
		if err != nil {
			return err
		}
		os.Remove(tmp.Name()) // gone when closed, where the system allows
		var errb bytes.Buffer
		code, err := car.Run(ctx, args, fleet.Output{Stdout: tmp, Stderr: &errb})
		if err == nil && code != 0 {
			err = fmt.Errorf("netdiag bundle exited %d: %s", code, strings.TrimSpace(errb.String()))
		}
		if err != nil {
			tmp.Close()
			return err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			tmp.Close()
			return err
		}
		for i := range nodes {
			if nodes[i].Name == n.Name {
				results[i] = fleet.NodeBundle{Node: n.Name, Data: tmp, Carrier: car.Image.Image + " (" + car.Image.Source + ")"}
			}
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			results[i] = fleet.NodeBundle{Node: nodes[i].Name, Error: err.Error()}
			fmt.Fprintf(c.App.ErrWriter, "kubectl-netdiag: node %s: %v\n", nodes[i].Name, err)
		}
	}
	merr := fleet.MergeBundles(w, results, s.ID)
	failed := 0
	for _, r := range results {
		if f, ok := r.Data.(*os.File); ok {
			f.Close()
			os.Remove(f.Name())
		}
		if r.Error != "" {
			failed++
		} else {
			verbosef(c, "node %s: %d files", r.Node, r.Files)
		}
	}
	if merr != nil {
		return fmt.Errorf("write %s: %w", out, merr)
	}
	if failed > 0 {
		return &exitErr{code: exitError, err: fmt.Errorf("%d of %d nodes have no bundle in %s (see manifest.json)", failed, len(nodes), out)}
	}
	return nil
}
