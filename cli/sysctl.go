package cli

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/sysctl"
)

func init() {
	register(&ucli.Command{
		Name:      "sysctl",
		Usage:     "show or set net.* sysctls as the node or a pod's network namespace sees them",
		ArgsUsage: "[SELECTOR] [NAME…]",
		Description: "Without NAME it lists every readable net.* sysctl of the namespace. Names are\n" +
			"written as sysctl(8) writes them (net.ipv4.conf.eth0/100.rp_filter for eth0.100).\n" +
			"--write NAME=VALUE asks for confirmation on the terminal and prints the old and new\n" +
			"value; without a terminal on stdin it needs --yes (exit 2). Answering no exits 1.",
		Flags: append(selectorFlags(),
			&ucli.StringFlag{Name: "write", Aliases: []string{"w"}, Usage: "set `NAME=VALUE` (asks first)"},
			&ucli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
		),
		Action: runSysctl,
	})
}

func runSysctl(c *ucli.Context) error {
	e := envOf(c)
	names := c.Args().Slice()
	for _, n := range names {
		if _, err := sysctl.Path(n); err != nil {
			return usageErrorf("%v", err)
		}
	}
	if w := c.String("write"); w != "" {
		if len(names) > 0 {
			return usageErrorf("--write takes one NAME=VALUE; do not list names as well")
		}
		name, value, ok := strings.Cut(w, "=")
		if !ok || name == "" {
			return usageErrorf("--write wants NAME=VALUE, got %q", w)
		}
		if _, err := sysctl.Path(name); err != nil {
			return usageErrorf("%v", err)
		}
		if err := needsTTYOrYes(c, "sysctl --write"); err != nil {
			return err
		}
		return sysctlWrite(c, e, name, value)
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	vals, err := sysctl.Read(ns, names...)
	if err != nil {
		return err
	}
	if isJSON(c) {
		if vals == nil {
			vals = []sysctl.Param{}
		}
		return writeJSON(e.stdout, struct {
			Sysctls []sysctl.Param `json:"sysctls"`
		}{vals})
	}
	for _, v := range vals {
		if _, err := fmt.Fprintf(e.stdout, "%s = %s\n", v.Name, v.Value); err != nil {
			return err
		}
	}
	return nil
}

func sysctlWrite(c *ucli.Context, e env, name, value string) error {
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	cur, err := sysctl.Read(ns, name)
	if err != nil {
		return err
	}
	if !c.Bool("yes") {
		if err := confirm(c, fmt.Sprintf("set %s from %q to %q in netns %s?", name, cur[0].Value, value, ns.Path()), name+" is still "+cur[0].Value); err != nil {
			return err
		}
	}
	ch, err := sysctl.Write(ns, name, value)
	if err != nil {
		return err
	}
	if isJSON(c) {
		return writeJSON(e.stdout, ch)
	}
	_, err = fmt.Fprintf(e.stdout, "%s: %s -> %s\n", ch.Name, ch.Old, ch.New)
	return err
}
