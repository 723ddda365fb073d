package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/stale"
)

func init() {
	register(&ucli.Command{
		Name:  "stale-container",
		Usage: "find (and on request end) processes a pod kept after the runtime lost their container",
		Subcommands: []*ucli.Command{{
			Name:      "scan",
			Usage:     "report processes of pods whose container the runtime does not know, knows as exited, or whose sandbox is gone",
			ArgsUsage: "[SELECTOR]",
			Description: "For every pod (or the one a selector names) every process in the pod's cgroup or\n" +
				"network namespace is matched to a container the runtime (CRI or Docker) knows.\n" +
				"Stale: its container is unknown to the runtime or exited, its pod's sandbox is gone,\n" +
				"or it listens in the pod's netns outside any container. Without a runtime socket the\n" +
				"runtime's task state directories decide (containerd, CRI-O, Docker).\n\n" +
				"--port PORT lists who holds PORT in the pod's netns, stale or not.\n" +
				"--kill sends SIGTERM, then SIGKILL after --grace, to exactly the stale processes\n" +
				"(with --port: those holding PORT), after confirmation on the terminal unless --yes\n" +
				"(without a terminal on stdin --kill needs --yes: exit 2); before each signal it\n" +
				"checks that the PID is still the same process (start time, cgroup).\n\n" +
				"Exit 3 when stale processes are found (with --kill: when any still runs); exit 1\n" +
				"when the question is answered no.",
			Flags: append(selectorFlags(),
				&ucli.IntFlag{Name: "port", Usage: "list every process holding `PORT` (TCP listener or bound UDP) in the pod's netns"},
				&ucli.BoolFlag{Name: "kill", Usage: "end the stale processes: SIGTERM, then SIGKILL after --grace"},
				&ucli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "with --kill: do not ask for confirmation (needed without a terminal)"},
				&ucli.DurationFlag{Name: "grace", Value: stale.DefaultGrace, Usage: "with --kill: time between SIGTERM and SIGKILL"},
				&ucli.StringSliceFlag{Name: "task-dir", Usage: "a runtime task state `DIR` (entries named by container ID) to judge by when no runtime answers"},
			),
			Action: runStaleScan,
		}},
	})
}

// staleOutput is the JSON of `stale-container scan`.
type staleOutput struct {
	*stale.Result
	Killed []stale.Action `json:"killed,omitempty"`
}

// portOutput is the JSON of `stale-container scan --port`.
type portOutput struct {
	*stale.PortResult
	Killed []stale.Action `json:"killed,omitempty"`
}

func runStaleScan(c *ucli.Context) error {
	if c.Args().Present() {
		return usageErrorf("stale-container scan takes no arguments (got %q): name a pod with a selector flag", c.Args().First())
	}
	port := c.Int("port")
	if c.IsSet("port") && (port < 1 || port > 65535) {
		return usageErrorf("--port %d: want 1-65535", port)
	}
	if c.Bool("yes") && !c.Bool("kill") {
		return usageErrorf("--yes only goes with --kill")
	}
	if c.Duration("grace") <= 0 {
		return usageErrorf("--grace %s: want a positive duration such as 10s", c.Duration("grace"))
	}
	sel := selectorOf(c)
	if err := sel.Validate(); err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	if c.Bool("kill") {
		if err := needsTTYOrYes(c, "stale-container scan --kill"); err != nil {
			return err
		}
	}

	askedAt := stale.BootTicks()
	var (
		inv *node.Inventory
		pod *node.Pod
		err error
	)
	if sel.Empty() {
		inv, err = loadInventory(c)
	} else {
		pod, inv, err = resolvePod(c)
		// A pod whose sandbox the runtime lost may be in no source but its
		// processes' cgroups: the scan finds it by UID.
		if errors.Is(err, node.ErrNoPod) && sel.PodUID != "" && inv != nil {
			pod, err = &node.Pod{UID: sel.PodUID}, nil
		}
	}
	if err != nil {
		return err
	}
	g := globals(c)
	opts := stale.Options{HostRoot: g.HostRoot, TaskDirs: c.StringSlice("task-dir"), Pod: pod, AskedAt: askedAt}
	e := envOf(c)

	if c.IsSet("port") {
		return stalePort(c, inv, opts, port)
	}
	res, err := stale.Scan(inv, opts)
	if err != nil {
		return err
	}
	noteRuntime(c, res.RuntimeAsked, res.TaskDirs)
	out := staleOutput{Result: res}
	if !isJSON(c) {
		if err := staleTable(c, res); err != nil {
			return err
		}
	}
	var declined error
	if c.Bool("kill") && len(res.Stale) > 0 {
		acts, err := confirmAndKill(c, res.Stale)
		switch {
		case errors.Is(err, errDeclined):
			declined = err
		case err != nil:
			return err
		}
		out.Killed = acts
	}
	if isJSON(c) {
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	} else if out.Killed != nil {
		if err := killTable(c, out.Killed); err != nil {
			return err
		}
	}
	switch {
	case declined != nil:
		return declined
	case out.Killed != nil:
		if stillRunning(out.Killed) {
			return problemsFound()
		}
		return nil
	case len(res.Stale) > 0:
		if !isJSON(c) && !c.Bool("kill") {
			fmt.Fprintln(e.stderr, "netdiag: to end them: netdiag stale-container scan --kill (with the same selector)")
		}
		return problemsFound()
	}
	return nil
}

// stalePort answers --port: every holder of the port, and with --kill ends
// the stale ones.
func stalePort(c *ucli.Context, inv *node.Inventory, opts stale.Options, port int) error {
	e := envOf(c)
	res, err := stale.Holders(inv, opts, port)
	if err != nil {
		return err
	}
	out := portOutput{PortResult: res}
	var declined error
	anyStale := false
	for _, h := range res.Holders {
		anyStale = anyStale || h.Stale
	}
	if !isJSON(c) {
		if err := holdersTable(c, res); err != nil {
			return err
		}
	}
	if c.Bool("kill") && anyStale {
		scan, err := stale.Scan(inv, opts)
		if err != nil {
			return err
		}
		var groups []stale.Group
		for _, g := range scan.Stale {
			for _, l := range g.Listening {
				if l.Port == port {
					groups = append(groups, g)
					break
				}
			}
		}
		if len(groups) > 0 {
			acts, err := confirmAndKill(c, groups)
			switch {
			case errors.Is(err, errDeclined):
				declined = err
			case err != nil:
				return err
			}
			out.Killed = acts
		}
	}
	if isJSON(c) {
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	} else if out.Killed != nil {
		if err := killTable(c, out.Killed); err != nil {
			return err
		}
	}
	if declined != nil {
		return declined
	}
	if out.Killed != nil {
		if stillRunning(out.Killed) {
			return problemsFound()
		}
		return nil
	}
	if anyStale {
		return problemsFound()
	}
	return nil
}

func holdersTable(c *ucli.Context, res *stale.PortResult) error {
	e := envOf(c)
	if len(res.Holders) == 0 {
		fmt.Fprintf(e.stdout, "No process holds port %d in the pod network namespaces checked.\n", res.Port)
	} else {
		t := newTable(e.stdout, "NAMESPACE", "POD", "CONTAINER", "RUNTIME-STATE", "PID", "COMMAND", "LISTENING", "STALE")
		for _, h := range res.Holders {
			state := h.ContainerState
			switch {
			case state == "" && !res.RuntimeAsked:
				state = "(runtime not asked)"
			case state == "" && h.ContainerID == "":
				state = "(no container)"
			}
			staleCol := "no"
			if h.Stale {
				staleCol = "yes: " + h.Reason
			}
			t.row(h.Namespace, stalePodName(h.Pod, h.PodUID), staleContainerCol(h.ContainerID, h.ContainerName), state, h.PID,
				staleClip(h.Cmdline, 40), h.Proto+" "+staleHostPort(h.Address, h.Port), staleCol)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "netdiag: warning: %s\n", w)
	}
	return nil
}

// noteRuntime says on stderr when the runtime could not be asked.
func noteRuntime(c *ucli.Context, asked bool, dirs []string) {
	if asked {
		return
	}
	fmt.Fprintf(envOf(c).stderr, "netdiag: the container runtime could not be asked (-v says why); judged from its task state in %s\n", strings.Join(dirs, ", "))
}

func staleTable(c *ucli.Context, res *stale.Result) error {
	e := envOf(c)
	if len(res.Stale) == 0 {
		fmt.Fprintf(e.stdout, "No stale processes in %d pods (%d processes checked).\n", res.PodsChecked, res.ProcsChecked)
	} else {
		t := newTable(e.stdout, "NAMESPACE", "POD", "CONTAINER", "PID", "STARTED", "COMMAND", "LISTENING", "REASON")
		for _, g := range res.Stale {
			for _, p := range g.Processes {
				var ls []string
				for _, l := range g.Listening {
					if l.PID == p.PID {
						ls = append(ls, l.Proto+" "+staleHostPort(l.Address, l.Port))
					}
				}
				t.row(g.Namespace, stalePodName(g.Pod, g.PodUID), staleContainerCol(g.ContainerID, g.ContainerName), p.PID, p.Started,
					staleClip(p.Cmdline, 40), strings.Join(ls, ","), g.Reason)
			}
		}
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout)
		for _, g := range res.Stale {
			fmt.Fprintf(e.stdout, "%s: %s\n", stalePodName(g.Pod, g.PodUID), g.Detail)
		}
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "netdiag: warning: %s\n", w)
	}
	return nil
}

// confirmAndKill asks on stderr/stdin (unless --yes) and ends the groups; a
// no returns an error wrapping errDeclined.
func confirmAndKill(c *ucli.Context, groups []stale.Group) ([]stale.Action, error) {
	e := envOf(c)
	var pids []string
	for _, g := range groups {
		for _, p := range g.Processes {
			pids = append(pids, strconv.Itoa(p.PID))
		}
	}
	grace := c.Duration("grace")
	if !c.Bool("yes") {
		for _, g := range groups {
			for _, p := range g.Processes {
				fmt.Fprintf(e.stderr, "  pid %d in %s: %s (%s)\n", p.PID, stalePodName(g.Pod, g.PodUID), staleClip(p.Cmdline, 60), g.Reason)
			}
		}
		q := fmt.Sprintf("Send SIGTERM, then SIGKILL after %s, to %d process(es) (PID %s)?", grace, len(pids), strings.Join(pids, " "))
		if err := confirm(c, q, "nothing signalled, the stale processes still run"); err != nil {
			return nil, err
		}
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return stale.Kill(ctx, groups, stale.KillOptions{Grace: grace})
}

func killTable(c *ucli.Context, acts []stale.Action) error {
	e := envOf(c)
	fmt.Fprintln(e.stdout)
	t := newTable(e.stdout, "PID", "COMMAND", "SIGNALS", "OUTCOME", "DETAIL")
	for _, a := range acts {
		t.row(a.PID, staleClip(a.Cmdline, 40), strings.Join(a.Signals, ","), a.Outcome, a.Detail)
	}
	return t.flush()
}

// stillRunning reports whether Kill left a stale process running.
func stillRunning(acts []stale.Action) bool {
	for _, a := range acts {
		if a.Outcome == stale.OutcomeFailed {
			return true
		}
	}
	return false
}

func stalePodName(name, uid string) string {
	if name != "" {
		return name
	}
	if uid != "" {
		return "uid:" + uid
	}
	return "?"
}

func staleContainerCol(id, name string) string {
	short := id
	if len(short) > 12 {
		short = short[:12]
	}
	if name != "" {
		return name + "/" + short
	}
	return short
}

func staleHostPort(addr string, port int) string {
	if a, err := netip.ParseAddr(addr); err == nil {
		return netip.AddrPortFrom(a, uint16(port)).String()
	}
	return addr + ":" + strconv.Itoa(port)
}

func staleClip(s string, n int) string {
	if len([]rune(s)) > n {
		return string([]rune(s)[:n-1]) + "…"
	}
	return s
}
