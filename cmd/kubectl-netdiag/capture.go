package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/netdiag/netdiag/cmd/kubectl-netdiag/fleet"
)

func init() {
	register(&ucli.Command{
		Name:      "capture",
		Usage:     "capture a pod's, a Service's or labelled pods' traffic on every node hosting them, into one pcapng",
		ArgsUsage: "(--pod NS/NAME | --service NS/NAME | -l SELECTOR) [FILTER…] -w FILE|-",
		Description: "Captures on each selected pod's host-side veth, on its node, and merges the nodes' packets\n" +
			"into one pcapng in time order: one interface per node and interface (NODE/IFNAME), pod and\n" +
			"Service names in a name resolution block, each node's clock offset (measured NTP-style over\n" +
			"exec) in the section comment, the interface descriptions and on stderr. Stops after\n" +
			"--duration, -c packets per interface, or Ctrl-C; the file is complete in every case.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "pod", Usage: "the pod `NAMESPACE/NAME`"},
			&ucli.StringFlag{Name: "service", Usage: "the endpoints of Service `NAMESPACE/NAME`"},
			&ucli.StringFlag{Name: "selector", Aliases: []string{"l"}, Usage: "the pods with these labels in the namespace (-n)"},
			&ucli.BoolFlag{Name: "clients", Usage: "with --service, also capture on every node's -i any, only the packets to or from the Service's addresses and its endpoints' (a packet shows once per interface it crosses there)"},
			&ucli.StringFlag{Name: "w", Usage: "write the merged pcapng to `FILE` (- for standard output)"},
			&ucli.StringFlag{Name: "duration", Usage: "stop after this long (e.g. 30s)"},
			&ucli.IntFlag{Name: "c", Usage: "stop each interface after `COUNT` packets"},
			&ucli.IntFlag{Name: "s", Usage: "snapshot length (netdiag capture's -s)"},
		},
		Action: runCapture,
	})
}

func runCapture(c *ucli.Context) error {
	out := c.String("w")
	if out == "" {
		return usageErrorf("capture needs -w FILE (or -w - for standard output): the nodes' packets are merged into one pcapng")
	}
	n := 0
	for _, f := range []string{"pod", "service", "selector"} {
		if c.String(f) != "" {
			n++
		}
	}
	if n != 1 {
		return usageErrorf("choose what to capture with one of --pod NS/NAME, --service NS/NAME or -l SELECTOR")
	}
	var dur time.Duration
	if d := c.String("duration"); d != "" {
		var err error
		if dur, err = time.ParseDuration(d); err != nil {
			if secs, err2 := strconv.Atoi(d); err2 == nil {
				dur = time.Duration(secs) * time.Second
			} else {
				return usageErrorf("--duration %q: %v", d, err)
			}
		}
	}
	k, err := kubeOf(c)
	if err != nil {
		return err
	}
	if c.Bool("clients") && c.String("service") == "" {
		return usageErrorf("--clients needs --service")
	}
	set, err := fleet.ResolveCapture(c.Context, k.rest, fleet.CaptureSelection{
		Pod: c.String("pod"), Service: c.String("service"), Selector: c.String("selector"), Namespace: k.namespace})
	if err != nil {
		return err
	}
	targets, names := set.Targets, set.Names
	var clientFilter string
	if c.Bool("clients") {
		all, err := fleet.Nodes(c.Context, k.rest, fleet.NodeSelection{All: true})
		if err != nil {
			return err
		}
		var hosts []string
		seenAddr := map[string]bool{}
		for _, a := range set.ServiceAddrs {
			if !seenAddr[a.String()] {
				seenAddr[a.String()] = true
				hosts = append(hosts, "host "+a.String())
			}
		}
		clientFilter = "(" + strings.Join(hosts, " or ") + ")"
		for _, n := range all {
			targets = append(targets, fleet.CaptureTarget{Node: n.Name}) // Pod "": the node, -i any
		}
	}
	var nodeNames []string
	seen := map[string]bool{}
	for _, t := range targets {
		if !seen[t.Node] {
			seen[t.Node] = true
			nodeNames = append(nodeNames, t.Node)
		}
	}
	nodes, err := fleet.Nodes(c.Context, k.rest, fleet.NodeSelection{Names: nodeNames})
	if err != nil {
		return err
	}
	s, err := session(c, k)
	if err != nil {
		return err
	}
	defer closeSession(c, s)

	// A carrier and the clock offset on every node first: the offsets go
	// into the file's header.
	carriers := map[string]*fleet.Carrier{}
	offsets := map[string]fleet.ClockOffset{}
	var mu sync.Mutex
	errs := fleet.ForEach(c.Context, nodes, c.Int("parallel"), func(ctx context.Context, n *corev1.Node) error {
		car, err := s.Carrier(ctx, n)
		if err != nil {
			return err
		}
		off, err := car.Clock(ctx)
		if err != nil {
			return err
		}
		mu.Lock()
		carriers[n.Name], offsets[n.Name] = car, off
		mu.Unlock()
		return nil
	})
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			fmt.Fprintf(c.App.ErrWriter, "kubectl-netdiag: node %s: %v\n", nodes[i].Name, err)
		}
	}
	if failed == len(nodes) || c.Context.Err() != nil {
		return fmt.Errorf("no node to capture on")
	}
	var comment strings.Builder
	fmt.Fprintf(&comment, "kubectl-netdiag capture of %s. Clock offsets of the nodes against the machine that ran kubectl-netdiag (node minus local, measured over exec; timestamps are the nodes' own):", what(c))
	sorted := make([]string, 0, len(offsets))
	for n := range offsets {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		fmt.Fprintf(&comment, " %s %s;", n, offsets[n])
		fmt.Fprintf(c.App.ErrWriter, "kubectl-netdiag: node %s: clock offset %s\n", n, offsets[n])
	}

	var w io.Writer = c.App.Writer
	if out != "-" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("create %s: %w", out, err)
		}
		defer f.Close()
		w = f
	}
	m := fleet.NewMerger(w, comment.String(), names)
	args := []string{"capture", "--host-side", "-w", "-", "--pcapng", "-U", "--immediate-mode"}
	if dur > 0 {
		args = append(args, "--duration", dur.String())
	}
	if n := c.Int("c"); n > 0 {
		args = append(args, "-c", strconv.Itoa(n))
	}
	if n := c.Int("s"); n > 0 {
		args = append(args, "-s", strconv.Itoa(n))
	}
	filter := c.Args().Slice()

	var live []fleet.CaptureTarget
	for _, t := range targets {
		if carriers[t.Node] != nil {
			live = append(live, t)
		}
	}
	var wg sync.WaitGroup
	var startedMu sync.Mutex
	var started []string
	runErrs := make([]error, len(live))
	for i, t := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr, pw := io.Pipe()
			label := "pod " + t.Pod + " (host side)"
			if t.Pod == "" {
				label = "the node (-i any), traffic of service " + c.String("service")
			}
			src := m.Source(t.Node, label, offsets[t.Node])
			copied := make(chan error, 1)
			go func() {
				err := src.Copy(pr, func() {
					startedMu.Lock()
					started = append(started, t.Node+" "+label)
					if len(started) == len(live) {
						sort.Strings(started)
						fmt.Fprintf(c.App.ErrWriter, "kubectl-netdiag: capturing on %s\n", strings.Join(started, ", "))
					}
					startedMu.Unlock()
				})
				io.Copy(io.Discard, pr) // the rest, whatever it is
				copied <- err
			}()
			var a []string
			who := t.Pod
			if t.Pod == "" {
				who = "node"
				a = append(append(append([]string{}, args[:1]...), "-i", "any"), args[1:]...)
				// args[1:] has "--host-side": not for the node's own capture.
				a = slicesDelete(a, "--host-side")
				f := clientFilter
				if len(filter) > 0 {
					f = "(" + strings.Join(filter, " ") + ") and " + clientFilter
				}
				a = append(a, f)
			} else {
				a = append(append(append([]string{}, args[:1]...), "--pod", t.Pod), args[1:]...)
				a = append(a, filter...)
			}
			stderr := &prefixWriter{w: c.App.ErrWriter, prefix: "kubectl-netdiag: " + t.Node + " " + who + ": "}
			code, err := carriers[t.Node].Run(c.Context, a, fleet.Output{Stdout: pw, Stderr: stderr})
			pw.Close()
			cerr := <-copied
			stderr.flush()
			switch {
			case err != nil:
				runErrs[i] = err
			case code != 0:
				runErrs[i] = fmt.Errorf("node %s: netdiag capture of %s exited %d", t.Node, who, code)
			default:
				runErrs[i] = cerr
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var werr error
loop:
	for {
		select {
		case <-done:
			break loop
		case <-tick.C:
			if werr == nil {
				werr = m.Flush(time.Now(), false)
			}
		}
	}
	if err := m.Flush(time.Now(), true); werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", out, werr)
	}
	fmt.Fprintf(c.App.ErrWriter, "kubectl-netdiag: %d packets from %d interfaces written", m.Packets, m.Interfaces)
	if m.Late > 0 {
		fmt.Fprintf(c.App.ErrWriter, " (%d arrived too late for time order)", m.Late)
	}
	fmt.Fprintln(c.App.ErrWriter)
	for _, err := range runErrs {
		if err != nil && c.Context.Err() == nil {
			fmt.Fprintf(c.App.ErrWriter, "kubectl-netdiag: %v\n", err)
			failed++
		}
	}
	if failed > 0 {
		return &exitErr{code: exitError, err: fmt.Errorf("%d of the captures failed (see above); the file has the others", failed)}
	}
	return nil
}

func slicesDelete(s []string, v string) []string {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func what(c *ucli.Context) string {
	switch {
	case c.String("pod") != "":
		return "pod " + c.String("pod")
	case c.String("service") != "":
		return "service " + c.String("service")
	}
	return "pods " + c.String("selector")
}

// prefixWriter prefixes each line (a node's stderr).
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    bytes.Buffer
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	for {
		line, err := p.buf.ReadBytes('\n')
		if err != nil {
			p.buf.Write(line)
			return len(b), nil
		}
		fmt.Fprintf(p.w, "%s%s", p.prefix, line)
	}
}

func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf.Len() > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf.String())
		p.buf.Reset()
	}
}
