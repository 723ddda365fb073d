package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"
	"golang.org/x/net/bpf"

	"github.com/netdiag/netdiag/attribute"
	"github.com/netdiag/netdiag/capture"
	"github.com/netdiag/netdiag/capture/decode"
	"github.com/netdiag/netdiag/capture/filter"
	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/cli/internal/startsig"
	"github.com/netdiag/netdiag/internal/trim"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

func init() {
	flags := []ucli.Flag{
		&ucli.StringFlag{Name: "i", Usage: "capture on `IFACE` (\"any\" for all) in the pod's netns, or in the node's without a selector"},
		&ucli.BoolFlag{Name: "host-side", Usage: "capture on the pod's host-side veth in the node netns"},
		&ucli.BoolFlag{Name: "both-sides", Usage: "capture on the pod's eth0 and its host veth at once (pcapng with two interfaces)"},
		&ucli.StringFlag{Name: "w", Usage: "write packets to `FILE` (- for standard output) instead of printing them"},
		&ucli.StringFlag{Name: "r", Usage: "read packets from `FILE` (- for standard input) instead of capturing"},
		&ucli.IntFlag{Name: "s", Value: capture.DefaultSnapLen, Usage: "snapshot length: bytes kept of each packet (0 means 262144)"},
		&ucli.IntFlag{Name: "c", Usage: "stop after `COUNT` packets"},
		&ucli.StringFlag{Name: "duration", Usage: "stop after this long (e.g. 30s, 5m; a bare number is seconds)"},
		&ucli.StringFlag{Name: "C", Usage: "rotate when a file is larger than `SIZE` million bytes (k, m, g suffixes: KiB, MiB, GiB)"},
		&ucli.IntFlag{Name: "W", Usage: "with -C, cycle through `FILES` files; with -G alone, stop after FILES files"},
		&ucli.IntFlag{Name: "G", Usage: "rotate every `SECONDS`; -w is then a strftime pattern"},
		&ucli.IntFlag{Name: "B", Usage: "ring buffer size in `KiB` (default 2048)"},
		&ucli.BoolFlag{Name: "p", Usage: "do not put the interface into promiscuous mode"},
		&ucli.BoolFlag{Name: "U", Usage: "flush the output after every packet"},
		&ucli.BoolFlag{Name: "l", Usage: "flush printed lines after every packet"},
		&ucli.BoolFlag{Name: "pcapng", Usage: "write pcapng instead of pcap"},
		&ucli.BoolFlag{Name: "attribute", Usage: "name each flow's pod, container and process (from the socket tables) in a pcapng comment on its first packet, or after its first line at -v"},
		&ucli.BoolFlag{Name: "attribute-all", Usage: "like --attribute, on every packet"},
		&ucli.StringFlag{Name: "time-stamp-precision", Value: "micro", Usage: "micro or nano"},
		&ucli.BoolFlag{Name: "nano", Usage: "same as --time-stamp-precision=nano"},
		&ucli.BoolFlag{Name: "immediate-mode", Usage: "hand over each packet at once (1 ms block timeout)"},
		&ucli.BoolFlag{Name: "sll", Usage: "with -i any, use LINUX_SLL headers instead of LINUX_SLL2"},
		&ucli.StringFlag{Name: "bpf-file", Usage: "use the compiled filter in `FILE` (tcpdump -ddd format) instead of an expression"},
		&ucli.StringFlag{Name: "min-free", Value: "100M", Usage: "refuse to write when the target directory has less free space (k, m, g suffixes)"},
		&ucli.BoolFlag{Name: "n", Usage: "do not resolve addresses (netdiag never does)"},
		&ucli.BoolFlag{Name: "nn", Usage: "do not resolve addresses or port names"},
		&ucli.BoolFlag{Name: "t", Usage: "no timestamps"},
		&ucli.BoolFlag{Name: "tt", Usage: "timestamps as seconds since 1970"},
		&ucli.BoolFlag{Name: "ttt", Usage: "time since the previous packet"},
		&ucli.BoolFlag{Name: "tttt", Usage: "date and time"},
		&ucli.BoolFlag{Name: "ttttt", Usage: "time since the first packet"},
		&ucli.BoolFlag{Name: "v", Usage: "more protocol detail"},
		&ucli.BoolFlag{Name: "vv", Usage: "even more protocol detail"},
		&ucli.BoolFlag{Name: "vvv", Usage: "most protocol detail"},
		&ucli.BoolFlag{Name: "e", Usage: "print the link-level header"},
		&ucli.BoolFlag{Name: "x", Usage: "hex dump of each packet without the link header"},
		&ucli.BoolFlag{Name: "xx", Usage: "hex dump including the link header"},
		&ucli.BoolFlag{Name: "X", Usage: "hex and ASCII dump without the link header"},
		&ucli.BoolFlag{Name: "XX", Usage: "hex and ASCII dump including the link header"},
		&ucli.BoolFlag{Name: "A", Usage: "each packet as ASCII text, without the link header"},
		&ucli.BoolFlag{Name: "AA", Usage: "each packet as ASCII text, including the link header"},
		&ucli.BoolFlag{Name: "S", Usage: "absolute TCP sequence numbers"},
		&ucli.BoolFlag{Name: "q", Usage: "less protocol detail: no TCP flags, no UDP applications"},
		&ucli.BoolFlag{Name: "number", Aliases: []string{"#"}, Usage: "start each line with the packet's number"},
	}
	register(&ucli.Command{
		Name:      "capture",
		Usage:     "capture packets in a pod's or the node's netns, like tcpdump",
		ArgsUsage: "[FILTER...]",
		Description: "Without a pod selector, captures on -i IFACE of the node netns. With one, on the pod's\n" +
			"eth0 (or -i IFACE inside the pod), its host veth (--host-side), or both (--both-sides).\n" +
			"Flags mean what they mean to tcpdump; on exit it prints why it stopped and tcpdump's\n" +
			"three statistics lines on stderr. With -C and -G together, -G starts a new series\n" +
			"(FILE, FILE1, ... or FILE0.. with -W) in each period and -W bounds only the series, as\n" +
			"tcpdump 4.99 does; without -C, -G with -W N stops after N files.",
		Flags:  append(selectorFlags(), flags...),
		Action: runCapture,
	})
}

// captureTarget is one interface to capture on.
type captureTarget struct {
	ns          *nsutil.NetNS
	iface       string
	description string
}

func runCapture(c *ucli.Context) error {
	// Give back what package initialisation touched, and below what setting
	// up touched: a capture's peak memory is otherwise its start-up's.
	trim.Pages()
	e := envOf(c)
	if c.String("r") != "" {
		startsig.Release()
		return readCapture(c, e)
	}
	// SIGINT and SIGTERM are caught from package initialisation on
	// (startsig): a signal that comes while the capture starts stops it
	// once the file exists, so it always leaves a valid file (with no
	// packets) instead of none.
	ctx, cancel := context.WithCancelCause(contextOf(c))
	defer cancel(nil)
	sigs := startsig.Claim()
	if sigs == nil {
		sigs = make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	}
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			cancel(fmt.Errorf("%w: %s", capture.ErrStopRequested, signalName(s)))
		case <-ctx.Done():
		}
	}()

	snap := c.Int("s")
	if snap < 0 {
		return usageErrorf("capture: -s must not be negative")
	}
	if snap == 0 || snap > capture.DefaultSnapLen {
		snap = capture.DefaultSnapLen
	}
	nano, err := precision(c)
	if err != nil {
		return err
	}
	outPath := c.String("w")
	rotateSize, err := parseRotateSize(c.String("C"))
	if err != nil {
		return err
	}
	if (rotateSize > 0 || c.Int("G") > 0) && (outPath == "" || outPath == "-") {
		return usageErrorf("capture: -C and -G need -w FILE")
	}
	if c.Int("W") < 0 || c.Int("G") < 0 || c.Int("c") < 0 || c.Int("B") < 0 {
		return usageErrorf("capture: -W, -G, -c and -B must not be negative")
	}
	minFree, err := parseSize(c.String("min-free"), 1)
	if err != nil {
		return usageErrorf("capture: --min-free: %v", err)
	}
	dur, err := parseDuration(c.String("duration"))
	if err != nil {
		return err
	}
	prog, err := filterSource(c)
	if err != nil {
		return err
	}

	attributeAll := c.Bool("attribute-all")
	attributing := c.Bool("attribute") || attributeAll
	switch {
	case attributing && outPath != "" && !c.Bool("pcapng") && !c.Bool("both-sides"):
		return usageErrorf("capture: --attribute writes pcapng comments: add --pcapng")
	case attributing && outPath == "" && !verbosity(c):
		return usageErrorf("capture: --attribute shows owners at -v: add -v")
	}
	targets, pod, inv, cleanup, err := captureTargets(c)
	defer cleanup()
	if err != nil {
		return err
	}
	pcapng := c.Bool("pcapng") || len(targets) > 1
	if len(targets) > 1 && outPath == "" {
		// Text mode prints both; the lines do not say which side, so prefix them.
		pcapng = false
	}
	var attr *attribute.Attributor
	if attributing {
		if attr, err = newAttributor(c, inv); err != nil {
			return err
		}
		defer attr.Close()
	}

	timeout := capture.DefaultTimeout
	if outPath == "" || len(targets) > 1 {
		timeout = 100 * time.Millisecond
	}
	if c.Bool("immediate-mode") {
		timeout = time.Millisecond
	}
	var handles []*capture.Handle
	defer func() {
		for _, h := range handles {
			h.Close()
		}
	}()
	// Names are read before the rings open: reading kube-proxy's rules can
	// take a second on a large node, and packets would wait in the ring.
	var names []pcapio.Name
	if outPath != "" && pcapng {
		names = captureNames(c, inv)
	}
	trim.Pages()
	for _, t := range targets {
		opts := capture.Options{
			Interface:  t.iface,
			SnapLen:    snap,
			BufferKiB:  c.Int("B"),
			NoPromisc:  c.Bool("p"),
			Timeout:    timeout,
			CookedSLL1: c.Bool("sll"),
			Compile:    prog.compile(snap),
		}
		h, err := capture.Open(t.ns, opts)
		if err != nil {
			if t.ns != nil {
				return fmt.Errorf("capture in netns %s: %w", t.ns.Path(), err)
			}
			return err
		}
		handles = append(handles, h)
	}

	// The sink: files or standard output, or printed lines.
	var out *capture.Output
	var printers []*decode.Printer
	flushLines := c.Bool("l") || c.Bool("U") || isTerminal(e.stdout)
	if outPath != "" {
		ifaces := make([]pcapio.Interface, len(handles))
		for i, h := range handles {
			ifaces[i] = pcapio.Interface{Name: targets[i].iface, Description: targets[i].description,
				LinkType: h.LinkType(), SnapLen: uint32(h.SnapLen()), Filter: prog.text}
		}
		cfg := capture.FileConfig{
			Path: outPath, Stdout: e.stdout, PcapNG: pcapng, Nano: nano, Interfaces: ifaces,
			Application: "netdiag " + Version, FlushEach: c.Bool("U"), RotateSize: rotateSize,
			Files: c.Int("W"), RotateEvery: time.Duration(c.Int("G")) * time.Second, MinFree: minFree,
		}
		cfg.Names = names
		if out, err = capture.NewOutput(cfg); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	} else {
		o := textOptions(c)
		o.Nanosecond = nano
		o.Comments = attr != nil
		for i, h := range handles {
			if h.LinkType() == pcapio.LinkTypeLinuxSLL2 {
				o.IfName = ifNamer(targets[i].ns)
			}
			printers = append(printers, decode.NewPrinter(e.stdout, h.LinkType(), o))
		}
	}

	for i, h := range handles {
		if outPath == "" && !verbosity(c) {
			fmt.Fprintf(e.stderr, "netdiag: verbose output suppressed, use -v[v]... for full protocol decode\n")
		} else {
			fmt.Fprintf(e.stderr, "netdiag: ")
		}
		name := targets[i].iface
		if pod != nil {
			name += " (" + targets[i].description + ")"
		}
		lt := h.LinkType()
		fmt.Fprintf(e.stderr, "listening on %s, link-type %s (%s), snapshot length %d bytes\n", name, lt, lt.Description(), h.SnapLen())
	}

	var handler capture.Handler
	decodeBugs := 0
	if out != nil {
		handler = out.Write
		if attr != nil {
			handler = func(pi *capture.PacketInfo, data []byte) error {
				pi.Comment = ""
				if cmt, first := attr.Comment(handles[pi.Source].LinkType(), data); first || attributeAll {
					pi.Comment = cmt
				}
				return out.Write(pi, data)
			}
		}
	} else {
		multi := len(printers) > 1
		handler = func(pi *capture.PacketInfo, data []byte) error {
			if multi {
				fmt.Fprintf(e.stdout, "%s ", targets[pi.Source].iface)
			}
			p := printers[pi.Source]
			pkt := pcapio.Packet{Timestamp: pi.Timestamp, CaptureLen: len(data), OrigLen: pi.Length, Data: data}
			if attr != nil {
				if cmt, first := attr.Comment(handles[pi.Source].LinkType(), data); first || attributeAll {
					pkt.Comment = cmt
				}
			}
			if err := p.Print(pkt); err != nil {
				var de *decode.DecodeError
				if !errors.As(err, &de) {
					return err
				}
				// A printer bug cut one line short: say so once, go on.
				decodeBugs++
				if decodeBugs == 1 {
					fmt.Fprintf(e.stderr, "netdiag: %v\n", de)
				}
			}
			if flushLines || multi {
				return p.Flush()
			}
			return nil
		}
	}
	start := time.Now()
	rc := capture.RunConfig{Count: uint64(c.Int("c")), Duration: dur}
	if out != nil && attr == nil {
		rc.Output, handler = out, nil // whole ring blocks at a time
	}
	if pod != nil {
		rc.Watch = pod.Watch()
	}
	res, runErr := capture.Run(ctx, handles, rc, handler)
	end := time.Now()
	var closeErr error
	if out != nil {
		closeErr = out.Close(res.Stats, start, end)
	}
	for _, p := range printers {
		if err := p.Flush(); err != nil && closeErr == nil {
			closeErr = err
		}
	}
	failed := stopIsFailure(res.Reason) || closeErr != nil
	fmt.Fprintf(e.stderr, "netdiag: capture stopped: %s\n", stopReason(res.Reason))
	if closeErr != nil {
		fmt.Fprintf(e.stderr, "netdiag: %s\n", errorLine(closeErr))
	}
	st := res.Total()
	captured := res.Captured
	if out != nil {
		// What the files hold: a write error loses the packets it could
		// not write.
		captured = out.Packets()
	}
	fmt.Fprintf(e.stderr, "%d packet%s captured\n", captured, plural(captured))
	fmt.Fprintf(e.stderr, "%d packet%s received by filter\n", st.Received, plural(st.Received))
	fmt.Fprintf(e.stderr, "%d packet%s dropped by kernel\n", st.Dropped, plural(st.Dropped))
	if runErr != nil && !errors.Is(runErr, capture.ErrFileLimitReached) && failed {
		return &exitError{code: ExitError}
	}
	if failed {
		return &exitError{code: ExitError}
	}
	return nil
}

func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func contextOf(c *ucli.Context) context.Context {
	if c.Context != nil {
		return c.Context
	}
	return context.Background()
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "interrupted (SIGINT)"
	case syscall.SIGTERM:
		return "terminated (SIGTERM)"
	}
	return s.String()
}

// stopIsFailure tells the stops that should exit 1: the target went away or
// the output failed, as opposed to a signal, -c, --duration or -G -W.
func stopIsFailure(reason error) bool {
	switch {
	case reason == nil,
		errors.Is(reason, capture.ErrStopRequested),
		errors.Is(reason, capture.ErrCountReached),
		errors.Is(reason, capture.ErrDurationElapsed),
		errors.Is(reason, capture.ErrFileLimitReached),
		errors.Is(reason, context.Canceled):
		return false
	}
	return true
}

func stopReason(reason error) string {
	switch {
	case reason == nil:
		return "done"
	case errors.Is(reason, capture.ErrInterfaceGone):
		return reason.Error() + " (pod deleted or interface removed); the file is complete up to here"
	}
	return errorLine(reason)
}

// captureTargets resolves the selector and flags to interfaces and netns
// handles. cleanup closes the handles and is never nil.
func captureTargets(c *ucli.Context) ([]captureTarget, *node.Pod, *node.Inventory, func(), error) {
	var opened []*nsutil.NetNS
	cleanup := func() {
		for _, n := range opened {
			n.Close()
		}
	}
	iface := c.String("i")
	host, both := c.Bool("host-side"), c.Bool("both-sides")
	if selectorOf(c).Empty() {
		if host || both {
			return nil, nil, nil, cleanup, usageErrorf("capture: --host-side and --both-sides need a pod selector")
		}
		if iface == "" {
			return nil, nil, nil, cleanup, usageErrorf("capture: give a pod selector or -i IFACE (\"any\" for every interface of the node)")
		}
		ns, err := node.OpenNode(globals(c).NodeNetNS)
		if err != nil {
			return nil, nil, nil, cleanup, err
		}
		opened = append(opened, ns)
		return []captureTarget{{ns: ns, iface: iface, description: "node " + iface}}, nil, nil, cleanup, nil
	}
	if host && both {
		return nil, nil, nil, cleanup, usageErrorf("capture: give --host-side or --both-sides, not both")
	}
	if iface != "" && (host || both) {
		return nil, nil, nil, cleanup, usageErrorf("capture: -i names an interface inside the pod; it does not go with --host-side or --both-sides")
	}
	pod, inv, err := resolvePod(c)
	if err != nil {
		return nil, nil, nil, cleanup, err
	}
	podNS, err := pod.OpenNetNS()
	if err != nil {
		return nil, pod, inv, cleanup, err
	}
	opened = append(opened, podNS)
	podIface := "eth0"
	if pod.Interface != nil && pod.Interface.Name != "" {
		podIface = pod.Interface.Name
	}
	if iface != "" {
		podIface = iface
	}
	desc := fmt.Sprintf("%s %s", pod.FullName(), podIface)
	if pod.PID > 0 {
		desc += fmt.Sprintf(" pid %d", pod.PID)
	}
	podTarget := captureTarget{ns: podNS, iface: podIface, description: desc}
	if !host && !both {
		return []captureTarget{podTarget}, pod, inv, cleanup, nil
	}
	nodeNS, err := node.OpenNode(globals(c).NodeNetNS)
	if err != nil {
		return nil, pod, inv, cleanup, err
	}
	opened = append(opened, nodeNS)
	hostIface := ""
	if peer, err := rtnl.HostPeer(podNS, podIface, nodeNS); err == nil {
		hostIface = peer.Name
	} else if pod.HostInterface != nil && pod.HostInterface.Name != "" {
		hostIface = pod.HostInterface.Name
	} else {
		return nil, pod, inv, cleanup, fmt.Errorf("capture: find the host side of %s's %s: %w", pod.FullName(), podIface, err)
	}
	hostTarget := captureTarget{ns: nodeNS, iface: hostIface, description: fmt.Sprintf("%s host veth %s (peer of %s)", pod.FullName(), hostIface, podIface)}
	if host {
		return []captureTarget{hostTarget}, pod, inv, cleanup, nil
	}
	return []captureTarget{podTarget, hostTarget}, pod, inv, cleanup, nil
}

// filterProgram is the filter the user gave: an expression or a compiled
// program.
type filterProgram struct {
	text string
	prog []bpf.RawInstruction
}

func filterSource(c *ucli.Context) (filterProgram, error) {
	expr := strings.Join(c.Args().Slice(), " ")
	file := c.String("bpf-file")
	if file != "" && expr != "" {
		return filterProgram{}, usageErrorf("capture: give a filter expression or --bpf-file, not both")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return filterProgram{}, fmt.Errorf("capture: read --bpf-file: %w", err)
		}
		prog, err := filter.ParseDDD(string(b))
		if err != nil {
			return filterProgram{}, fmt.Errorf("capture: %s: %w", file, err)
		}
		// The kernel checks a live capture's program when it is attached;
		// -r and user-space filters run it here, so check it the same way.
		if err := filter.Validate(prog); err != nil {
			return filterProgram{}, fmt.Errorf("capture: %s: %w", file, err)
		}
		return filterProgram{prog: prog}, nil
	}
	return filterProgram{text: expr}, nil
}

// compile returns the per-handle filter hook for capture.Options.
func (f filterProgram) compile(snap int) func(lt pcapio.LinkType) (kernel, user []bpf.RawInstruction, err error) {
	switch {
	case f.prog != nil:
		return capture.ProgramFilter(f.prog)
	case f.text != "":
		return capture.ExprFilter(f.text, snap)
	}
	return nil
}

func precision(c *ucli.Context) (bool, error) {
	if c.Bool("nano") {
		return true, nil
	}
	switch c.String("time-stamp-precision") {
	case "micro", "":
		return false, nil
	case "nano":
		return true, nil
	}
	return false, usageErrorf("capture: --time-stamp-precision is micro or nano, not %q", c.String("time-stamp-precision"))
}

func verbosity(c *ucli.Context) bool { return c.Bool("v") || c.Bool("vv") || c.Bool("vvv") }

func textOptions(c *ucli.Context) decode.Options {
	o := decode.Options{NumericHosts: true, NumericPorts: c.Bool("nn")}
	switch {
	case c.Bool("t"):
		o.TimeFormat = decode.TimeNone
	case c.Bool("tt"):
		o.TimeFormat = decode.TimeEpoch
	case c.Bool("ttt"):
		o.TimeFormat = decode.TimeDelta
	case c.Bool("tttt"):
		o.TimeFormat = decode.TimeDate
	case c.Bool("ttttt"):
		o.TimeFormat = decode.TimeSinceFirst
	}
	switch {
	case c.Bool("vvv"):
		o.Verbose = 3
	case c.Bool("vv"):
		o.Verbose = 2
	case c.Bool("v"):
		o.Verbose = 1
	}
	o.LinkHeader = c.Bool("e")
	switch {
	case c.Bool("XX"):
		o.ASCII = 2
	case c.Bool("X"):
		o.ASCII = 1
	case c.Bool("xx"):
		o.Hex = 2
	case c.Bool("x"):
		o.Hex = 1
	case c.Bool("AA"):
		o.Text = 2
	case c.Bool("A"):
		o.Text = 1
	}
	o.AbsoluteSeq = c.Bool("S")
	o.Quiet = c.Bool("q")
	o.Number = c.Bool("number")
	return o
}

// parseRotateSize reads -C: millions of bytes, or KiB/MiB/GiB with a k, m or
// g suffix, as tcpdump 4.99 does.
func parseRotateSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := parseSize(s, 1000000)
	if err != nil || n == 0 {
		return 0, usageErrorf("capture: -C %q: want a positive number, optionally with k, m or g", s)
	}
	return int64(n), nil
}

// parseSize reads a number with an optional k/m/g (1024-based) suffix; a bare
// number is multiplied by unit.
func parseSize(s string, unit uint64) (uint64, error) {
	s = strings.TrimSpace(s)
	mult := unit
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult, s = 1<<10, s[:len(s)-1]
		case 'm', 'M':
			mult, s = 1<<20, s[:len(s)-1]
		case 'g', 'G':
			mult, s = 1<<30, s[:len(s)-1]
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse size %q: %w", s, err)
	}
	return n * mult, nil
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usageErrorf("capture: --duration %q: want e.g. 30s, 5m or a number of seconds", s)
	}
	return d, nil
}

// ifNamer names interfaces by index inside ns, for -i any's SLL2 headers
// (tcpdump asks its own netns, which is the capture's). It re-reads the
// links when an index is new.
func ifNamer(ns *nsutil.NetNS) func(int) (string, bool) {
	names := map[int]string{}
	load := func() {
		if ns == nil {
			return
		}
		c, err := rtnl.Dial(ns)
		if err != nil {
			return
		}
		defer c.Close()
		links, err := c.Links()
		if err != nil {
			return
		}
		for _, l := range links {
			names[l.Index] = l.Name
		}
	}
	load()
	return func(i int) (string, bool) {
		n, ok := names[i]
		if !ok {
			load()
			n, ok = names[i]
		}
		return n, ok
	}
}
