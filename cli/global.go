package cli

import (
	"errors"
	"os"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/node"
)

func globalFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "output format: table or json"},
		&ucli.StringFlag{Name: "node-netns", EnvVars: []string{"NETDIAG_NODE_NETNS"}, Usage: "path of the node's network namespace (default: that of PID 1)"},
		&ucli.StringFlag{Name: "host-root", EnvVars: []string{"NETDIAG_HOST_ROOT"}, Usage: "where the node's files are (default: /host inside kubectl debug node, else /)"},
		&ucli.StringFlag{Name: "runtime-endpoint", EnvVars: []string{"CONTAINER_RUNTIME_ENDPOINT"}, Usage: "CRI socket, e.g. unix:///run/containerd/containerd.sock (default: auto-detect)"},
		&ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say more about what netdiag reads"},
	}
}

// Globals are the node-wide settings every command shares.
type Globals struct {
	NodeNetNS       string // path of the node netns; "" means /proc/1/ns/net
	HostRoot        string // where the node's files are; never ""
	RuntimeEndpoint string // CRI endpoint; "" means auto-detect
	Verbose         bool
}

// globals reads the global flags; Main moves those written after the
// command name in front of it (hoistGlobals).
func globals(c *ucli.Context) Globals {
	g := Globals{
		NodeNetNS:       c.String("node-netns"),
		HostRoot:        c.String("host-root"),
		RuntimeEndpoint: c.String("runtime-endpoint"),
		Verbose:         c.Bool("verbose"),
	}
	if g.HostRoot == "" {
		g.HostRoot = detectHostRoot()
	}
	if g.NodeNetNS == "" {
		g.NodeNetNS = node.DefaultNodeNetNS
	}
	return g
}

// checkGlobals refuses global flags that name what is not there: a
// --host-root that is not a directory would make every host file "missing"
// and every answer quietly empty.
func checkGlobals(c *ucli.Context) error {
	if root := c.String("host-root"); root != "" {
		fi, err := os.Stat(root)
		switch {
		case err != nil:
			return usageErrorf("--host-root %s: %v: give the directory where the node's files are (/ on the node, /host in kubectl debug node)", root, errors.Unwrap(err))
		case !fi.IsDir():
			return usageErrorf("--host-root %s is not a directory: give the directory where the node's files are (/ on the node, /host in kubectl debug node)", root)
		}
	}
	return nil
}

// detectHostRoot finds the host filesystem that `kubectl debug node/NAME` mounts
// at /host; anywhere else the host root is /.
func detectHostRoot() string {
	for _, probe := range []string{"var/lib/kubelet", "var/log/pods", "etc/os-release"} {
		if _, err := os.Stat(filepath.Join("/host", probe)); err == nil {
			return "/host"
		}
	}
	return "/"
}
