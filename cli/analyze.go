package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/analyze"
	"github.com/netdiag/netdiag/capture"
	"github.com/netdiag/netdiag/capture/pcapio"
)

func init() {
	register(&ucli.Command{
		Name:      "analyze",
		Usage:     "read a capture and name the failure patterns in its traffic",
		ArgsUsage: "FILE|- | --duration D SELECTOR|-i IFACE [FILTER…]",
		Description: "Groups packets into flows and reports unanswered, refused or unreachable TCP handshakes,\n" +
			"listen-queue overflows, resets, retransmissions, DNS queries lost, slow or expanded\n" +
			"into NXDOMAIN storms, and path-MTU problems, with packet numbers as evidence.\n" +
			"With a pod selector (or -i IFACE of the node) it captures live for --duration, with an\n" +
			"optional tcpdump filter, and analyzes that. Exits 3 when it finds a warn or fail pattern.",
		Flags: append(selectorFlags(),
			&ucli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "how long to capture live"},
			&ucli.StringFlag{Name: "i", Usage: "live: interface of the pod (default its eth0) or, without a selector, of the node"},
			&ucli.BoolFlag{Name: "host-side", Usage: "live: capture on the pod's host veth"},
			&ucli.BoolFlag{Name: "both-sides", Usage: "live: capture on the pod's eth0 and its host veth"},
			&ucli.IntFlag{Name: "top", Value: 10, Usage: "rows of top talkers and flows"},
			&ucli.DurationFlag{Name: "slow-dns", Value: time.Second, Usage: "report DNS answers slower than this"},
		),
		Action: runAnalyze,
	})
}

func runAnalyze(c *ucli.Context) error {
	e := envOf(c)
	a := analyze.New(analyze.Options{Top: c.Int("top"), SlowDNS: c.Duration("slow-dns")})
	if selectorOf(c).Empty() && c.String("i") == "" {
		if c.NArg() != 1 {
			return usageErrorf("analyze: give one capture file (- for standard input), or a pod selector or -i IFACE to capture live")
		}
		if err := analyzeFile(a, c.Args().First(), e.stdin); err != nil {
			return err
		}
	} else if err := analyzeLive(c, a); err != nil {
		return err
	}
	rep := a.Report()
	if isJSON(c) {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else if err := printAnalysis(e.stdout, rep); err != nil {
		return err
	}
	if rep.Problems() {
		return problemsFound()
	}
	return nil
}

func printAnalysis(w io.Writer, r *analyze.Report) error {
	dur := r.End.Sub(r.Start).Seconds()
	fmt.Fprintf(w, "%d packets over %.3f s", r.Packets, dur)
	if r.Truncated {
		fmt.Fprint(w, " (the file ends mid-packet)")
	}
	fmt.Fprintln(w)
	if r.PacketsNotTracked > 0 {
		fmt.Fprintf(w, "%d packets of flows past the analyzer's limit of %d flows are counted but not analyzed\n", r.PacketsNotTracked, analyze.DefaultMaxFlows)
	}
	t := r.TCP
	fmt.Fprintf(w, "TCP: %d connection attempts, %d established, %d refused, %d timed out, %d unreachable\n",
		t.Attempts, t.Established, t.Refused, t.TimedOut, t.Unreachable)
	d := r.DNS
	fmt.Fprintf(w, "DNS: %d queries, %d answered, %d unanswered, %d NXDOMAIN, %d slow\n\n",
		d.Queries, d.Answered, d.Unanswered, d.NXDomain, d.Slow)
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "No failure patterns found.")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "%-4s  %s: %s\n", strings.ToUpper(f.Severity), f.Pattern, f.Summary)
		fmt.Fprintf(w, "      packets: %s\n", joinInts(f.Packets))
	}
	fmt.Fprintln(w, "\nTop talkers:")
	tt := newTable(w, "A", "B", "PACKETS", "BYTES")
	for _, x := range r.Talkers {
		tt.row(x.A, x.B, x.Packets, x.Bytes)
	}
	if err := tt.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nTop flows:")
	ft := newTable(w, "PROTO", "A", "B", "PACKETS", "BYTES", "STATE")
	for _, x := range r.Flows {
		ft.row(x.Proto, x.A, x.B, x.Packets, x.Bytes, x.State)
	}
	return ft.flush()
}

func joinInts(l []int) string {
	s := make([]string, len(l))
	for i, n := range l {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

func analyzeFile(a *analyze.Analyzer, name string, stdin io.Reader) error {
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		defer f.Close()
		in = f
	}
	r, err := pcapio.NewReader(in)
	if err != nil {
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	if err := a.ReadFrom(r); err != nil {
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	return nil
}

// analyzeLive captures for --duration (or until SIGINT) and feeds the analyzer.
func analyzeLive(c *ucli.Context, a *analyze.Analyzer) error {
	if c.Duration("duration") <= 0 {
		return usageErrorf("analyze: --duration must be positive")
	}
	targets, pod, _, cleanup, err := captureTargets(c)
	defer cleanup()
	if err != nil {
		return err
	}
	prog, err := filterSource(c)
	if err != nil {
		return err
	}
	var handles []*capture.Handle
	defer func() {
		for _, h := range handles {
			h.Close()
		}
	}()
	for _, t := range targets {
		h, err := capture.Open(t.ns, capture.Options{Interface: t.iface, Timeout: 100 * time.Millisecond, Compile: prog.compile(capture.DefaultSnapLen)})
		if err != nil {
			return fmt.Errorf("analyze: capture on %s: %w", t.description, err)
		}
		handles = append(handles, h)
	}
	cfg := capture.RunConfig{Duration: c.Duration("duration")}
	if pod != nil {
		cfg.Watch, cfg.WatchEvery = pod.Watch(), time.Second
	}
	ctx, stop := signal.NotifyContext(contextOf(c), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := capture.Run(ctx, handles, cfg, func(pi *capture.PacketInfo, data []byte) error {
		a.Add(handles[pi.Source].LinkType(), pcapio.Packet{Timestamp: pi.Timestamp, Data: data, CaptureLen: pi.CaptureLen, OrigLen: pi.Length, InterfaceIndex: pi.Source})
		return nil
	})
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	if t := res.Total(); t.Dropped > 0 {
		fmt.Fprintf(envOf(c).stderr, "netdiag: the kernel dropped %d packets: the analysis misses them\n", t.Dropped)
	}
	if stopIsFailure(res.Reason) {
		return fmt.Errorf("analyze: capture stopped: %s", stopReason(res.Reason))
	}
	return nil
}
