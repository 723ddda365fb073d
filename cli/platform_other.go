//go:build !linux

package cli

import (
	"fmt"
	"runtime"
	"slices"

	ucli "github.com/urfave/cli/v2"
)

// anywhere are the commands that read only their arguments or a file, never
// the node: they run on every GOOS.
var anywhere = map[string]bool{"": true, "help": true, "h": true, "version": true, "filter": true, "analyze": true}

// checkPlatform refuses the commands that read or change a node: they need
// a Linux kernel (netns, netlink, /proc). Help works for every command.
func checkPlatform(c *ucli.Context) error {
	args := c.Args().Slice()
	name := c.Args().First()
	if anywhere[name] || slices.ContainsFunc(args, func(a string) bool {
		return a == "-h" || a == "--help" || a == "-help" || a == "--generate-bash-completion"
	}) {
		return nil
	}
	return fmt.Errorf("%s is not implemented on %s: netdiag runs on Linux nodes (run it on the node, e.g. in a privileged pod)", name, runtime.GOOS)
}
