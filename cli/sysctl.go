package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/netstate"
)

func init() {
	register(&ucli.Command{
		Name:      "sysctl",
		Usage:     "show or set net.* sysctls as the node or a pod's network namespace sees them",
		ArgsUsage: "[SELECTOR] [NAME…]",
		Description: "Without NAME it lists every readable net.* sysctl of the namespace. Names are\n" +
			"written as sysctl(8) writes them (net.ipv4.conf.eth0/100.rp_filter for eth0.100).\n" +
			"--write NAME=VALUE asks for confirmation on stdin (--yes skips it) and prints the\n" +
			"old and new value.",
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
		if _, err := netstate.SysctlPath(n); err != nil {
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
		if _, err := netstate.SysctlPath(name); err != nil {
			return usageErrorf("%v", err)
		}
		return sysctlWrite(c, e, name, value)
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	vals, err := netstate.ReadSysctls(ns, names...)
	if err != nil {
		return err
	}
	if isJSON(c) {
		if vals == nil {
			vals = []netstate.Sysctl{}
		}
		return writeJSON(e.stdout, struct {
			Sysctls []netstate.Sysctl `json:"sysctls"`
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
	cur, err := netstate.ReadSysctls(ns, name)
	if err != nil {
		return err
	}
	if !c.Bool("yes") {
		ok, err := netstateConfirm(c, fmt.Sprintf("set %s from %q to %q in netns %s?", name, cur[0].Value, value, ns.Path()))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintf(e.stderr, "netdiag: nothing changed\n")
			return nil
		}
	}
	ch, err := netstate.WriteSysctl(ns, name, value)
	if err != nil {
		return err
	}
	if isJSON(c) {
		return writeJSON(e.stdout, ch)
	}
	_, err = fmt.Fprintf(e.stdout, "%s: %s -> %s\n", ch.Name, ch.Old, ch.New)
	return err
}

// netstateConfirm asks a yes/no question on stderr and reads the answer
// from stdin; anything but y or yes (or end of input) is no.
func netstateConfirm(c *ucli.Context, question string) (bool, error) {
	e := envOf(c)
	fmt.Fprintf(e.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(e.stderr)
			return false, nil
		}
		return false, fmt.Errorf("read confirmation: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
