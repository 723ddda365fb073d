package main

import (
	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/cmd/kubectl-netdiag/fleet"
)

func init() {
	register(&ucli.Command{
		Name:      "run",
		Usage:     "run any netdiag command on one node, as if there",
		ArgsUsage: "NODE -- NETDIAG-COMMAND [ARGS…]",
		Description: "stdout and stderr come back as they are written, and kubectl-netdiag exits with the command's\n" +
			"exit code. Changes that ask for confirmation need --yes (there is no terminal on the node).\n" +
			"Example: kubectl netdiag run node-1 -- conntrack stats",
		Action: runRun,
	})
}

func runRun(c *ucli.Context) error {
	args := c.Args().Slice()
	// Flag parsing stops at NODE, so the "--" after it is still there.
	if len(args) > 1 && args[1] == "--" {
		args = append(args[:1], args[2:]...)
	}
	if len(args) < 2 {
		return usageErrorf("run needs a node and a netdiag command: kubectl netdiag run NODE -- pods")
	}
	k, err := kubeOf(c)
	if err != nil {
		return err
	}
	nodes, err := fleet.Nodes(c.Context, k.rest, fleet.NodeSelection{Names: args[:1]})
	if err != nil {
		return err
	}
	s, err := session(c, k)
	if err != nil {
		return err
	}
	defer closeSession(c, s)
	car, err := s.Carrier(c.Context, &nodes[0])
	if err != nil {
		return err
	}
	code, err := car.Run(c.Context, args[1:], fleet.Output{Stdout: c.App.Writer, Stderr: c.App.ErrWriter})
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitErr{code: code}
	}
	return nil
}
