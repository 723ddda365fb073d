package main

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/cmd/kubectl-netdiag/fleet"
)

func init() {
	register(&ucli.Command{
		Name:  "cleanup",
		Usage: "remove every carrier pod and session object kubectl-netdiag left (a killed session)",
		Description: "Deletes the pods and jobs labelled " + fleet.ToolSelector + " in the namespace (-n),\n" +
			"or in every namespace with --all-namespaces. Running sessions lose their pods too.",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "all-namespaces", Aliases: []string{"A"}, Usage: "in every namespace"},
		},
		Action: func(c *ucli.Context) error {
			k, err := kubeOf(c)
			if err != nil {
				return err
			}
			ns := k.namespace
			if c.Bool("all-namespaces") {
				ns = ""
			}
			pods, jobs, err := fleet.Cleanup(c.Context, k.rest, ns)
			fmt.Fprintf(c.App.Writer, "deleted %d pods and %d session jobs\n", pods, jobs)
			return err
		},
	})
}
