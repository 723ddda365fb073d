package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
)

// selectorFlags are the pod selectors every pod-targeted command takes. A
// selector given with no value (--pid 0, --pod-ip "") is a usage error: it
// must not read as no selector, which means the node.
func selectorFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "pod-ip", Usage: "the pod that has this IP", Action: notEmpty("pod-ip")},
		&ucli.StringFlag{Name: "pod", Usage: "the pod `[NAMESPACE/]NAME`", Action: notEmpty("pod")},
		&ucli.StringFlag{Name: "pod-uid", Usage: "the pod with this metadata.uid", Action: notEmpty("pod-uid")},
		&ucli.IntFlag{Name: "pid", Usage: "the pod that runs this process", Action: func(_ *ucli.Context, pid int) error {
			if pid <= 0 {
				return usageErrorf("--pid %d is not a process ID: give the PID of a process of the pod (without a selector the command acts on the node)", pid)
			}
			return nil
		}},
		&ucli.StringFlag{Name: "netns", Usage: "the pod whose network namespace this `PATH` names (/proc/PID/ns/net, /var/run/netns/NAME)", Action: notEmpty("netns")},
	}
}

// notEmpty refuses a selector flag given an empty value.
func notEmpty(name string) func(*ucli.Context, string) error {
	return func(_ *ucli.Context, v string) error {
		if strings.TrimSpace(v) == "" {
			return usageErrorf("--%s was given no value: name a pod (without a selector the command acts on the node)", name)
		}
		return nil
	}
}

// selectorOf reads the selector flags.
func selectorOf(c *ucli.Context) node.Selector {
	return node.Selector{
		PodIP:  c.String("pod-ip"),
		Pod:    c.String("pod"),
		PodUID: c.String("pod-uid"),
		PID:    c.Int("pid"),
		NetNS:  c.String("netns"),
	}
}

// loadInventory reads the node's pods as the global flags describe the node.
// Warnings (a source that did not answer) go to stderr only with -v.
func loadInventory(c *ucli.Context) (*node.Inventory, error) {
	g := globals(c)
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	inv, err := node.Load(ctx, node.Options{
		HostRoot:        g.HostRoot,
		NodeNetNS:       g.NodeNetNS,
		RuntimeEndpoint: g.RuntimeEndpoint,
	})
	if err != nil {
		return nil, err
	}
	if g.Verbose {
		e := envOf(c)
		fmt.Fprintf(e.stderr, "netdiag: sources: %v\n", inv.Sources)
		for _, w := range inv.Warnings {
			fmt.Fprintf(e.stderr, "netdiag: warning: %s\n", w)
		}
	}
	return inv, nil
}

// resolvePod loads the inventory and returns the one pod the selector flags
// name. A malformed or ambiguous selector is a usage error (exit 2); a pod
// that is not there is an error (exit 1).
func resolvePod(c *ucli.Context) (*node.Pod, *node.Inventory, error) {
	sel := selectorOf(c)
	if sel.Empty() {
		return nil, nil, usageErrorf("%s needs a pod: give --pod-ip, --pod, --pod-uid, --pid or --netns", c.Command.Name)
	}
	if err := sel.Validate(); err != nil {
		return nil, nil, &exitError{code: ExitUsage, err: err}
	}
	inv, err := loadInventory(c)
	if err != nil {
		return nil, nil, err
	}
	p, err := inv.Resolve(sel)
	if err != nil {
		if errors.Is(err, node.ErrBadSelector) || errors.Is(err, node.ErrAmbiguous) {
			return nil, inv, &exitError{code: ExitUsage, err: err}
		}
		return nil, inv, err
	}
	return p, inv, nil
}

// afterResolve, when set by a test, runs between finding a pod and opening
// its netns, to delete the pod in that window.
var afterResolve func(*node.Pod)

// targetNetNS opens the netns a command works in: the selected pod's, or the
// node's when no selector is given (pod is then nil). The caller closes it.
func targetNetNS(c *ucli.Context) (*nsutil.NetNS, *node.Pod, error) {
	if selectorOf(c).Empty() {
		ns, err := node.OpenNode(globals(c).NodeNetNS)
		if err != nil {
			return nil, nil, err
		}
		return ns, nil, nil
	}
	p, _, err := resolvePod(c)
	if err != nil {
		return nil, nil, err
	}
	if afterResolve != nil {
		afterResolve(p)
	}
	ns, err := p.OpenNetNS()
	if err != nil {
		return nil, nil, err
	}
	return ns, p, nil
}
