package cli

import (
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// hoistGlobals moves global flags written after the command name (netdiag
// pods -o json) in front of it, where urfave/cli looks for them. A flag the
// command defines itself (capture's -v) stays where it is, and nothing after
// "--" moves (exec passes those to its child). Clusters of the command's
// one-letter flags (capture -nnr FILE) are split as getopt does.
func hoistGlobals(app *ucli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	takesValue := map[string]bool{}
	isGlobal := map[string]bool{}
	for _, f := range app.Flags {
		_, isBool := f.(*ucli.BoolFlag)
		for _, n := range f.Names() {
			isGlobal[n] = true
			takesValue[n] = !isBool
		}
	}
	// Skip the global flags before the command, then find the command path.
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		name, hasValue := flagName(args[i])
		i++
		if takesValue[name] && !hasValue {
			i++
		}
	}
	var cmd *ucli.Command
	cmds := app.Commands
	for i < len(args) {
		next := findCommand(cmds, args[i])
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
		i++
	}
	if cmd == nil {
		return args
	}
	own := map[string]bool{}
	ownValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*ucli.BoolFlag)
		for _, n := range f.Names() {
			own[n] = true
			ownValue[n] = !isBool
		}
	}
	var hoisted, rest []string
	for j := i; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			rest = append(rest, args[j:]...)
			break
		}
		name, hasValue := flagName(a)
		if !own[name] && !isGlobal[name] {
			if split := splitCluster(a, own, ownValue); split != nil {
				rest = append(rest, split...)
				continue
			}
		}
		if !strings.HasPrefix(a, "-") || !isGlobal[name] || own[name] {
			rest = append(rest, a)
			continue
		}
		hoisted = append(hoisted, a)
		if takesValue[name] && !hasValue && j+1 < len(args) {
			j++
			hoisted = append(hoisted, args[j])
		}
	}
	out := append([]string{args[0]}, hoisted...)
	out = append(out, args[1:i]...)
	return append(out, rest...)
}

// splitCluster splits a getopt-style cluster of one-letter flags as
// tcpdump's users write them ("-nnvvr FILE", "-s0", "-ieth0"): a run of one
// letter names the flag spelled that way (-nn, -vvv), and a flag that takes
// a value ends the cluster, the rest of it being the value. nil when a is
// not such a cluster.
func splitCluster(a string, own, takesValue map[string]bool) []string {
	if len(a) < 3 || a[0] != '-' || a[1] == '-' || strings.Contains(a, "=") {
		return nil
	}
	var out []string
	for s := a[1:]; s != ""; {
		if c := s[:1]; takesValue[c] {
			out = append(out, "-"+c)
			if len(s) > 1 {
				out = append(out, s[1:])
			}
			return out
		}
		n := 1
		for n < len(s) && s[n] == s[0] {
			n++
		}
		if !own[s[:n]] || takesValue[s[:n]] {
			return nil
		}
		out = append(out, "-"+s[:n])
		s = s[n:]
	}
	return out
}

// flagName returns the name of "-o", "--output=json" and the like.
func flagName(a string) (string, bool) {
	a = strings.TrimLeft(a, "-")
	name, _, hasValue := strings.Cut(a, "=")
	return name, hasValue
}

func findCommand(cmds []*ucli.Command, name string) *ucli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
