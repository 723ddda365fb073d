// Package startsig catches SIGINT and SIGTERM from package initialisation on
// when the process is `netdiag capture`, so that a signal sent while a
// capture starts stops it with a valid file instead of killing it before its
// handler is installed.
//
// Go installs its own handlers when the runtime starts; until a package
// calls signal.Notify, SIGINT and SIGTERM kill the process. The package
// initialisation of a binary this size takes tens of milliseconds on a
// loaded node, and cli's own init runs last: this package has no
// dependencies of its own but os/signal, so it runs among the first.
//
// Only the capture command needs it, and it captures on Linux only: on
// other systems nothing is caught, Claim returns nil and Release does
// nothing.
package startsig

import "strings"

// isCapture reports whether the command line runs the capture command:
// its first word after the global flags (and their values) is "capture".
func isCapture(args []string) bool {
	takesValue := map[string]bool{"o": true, "output": true, "node-netns": true, "host-root": true, "runtime-endpoint": true}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return false
		}
		if !strings.HasPrefix(a, "-") {
			return a == "capture"
		}
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] {
			i++
		}
	}
	return false
}
