package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/analyze"
	"github.com/netdiag/netdiag/capture/pcapio"
)

func init() {
	register(&ucli.Command{
		Name:      "analyze",
		Usage:     "read a capture and name the failure patterns in its traffic",
		ArgsUsage: "FILE|-",
		Description: "Groups packets into flows and reports unanswered, refused or unreachable TCP handshakes,\n" +
			"listen-queue overflows, resets, retransmissions, DNS queries lost, slow or expanded\n" +
			"into NXDOMAIN storms, and path-MTU problems, with packet numbers as evidence.\n" +
			"Exits 3 when it finds a warn or fail pattern.",
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "top", Value: 10, Usage: "rows of top talkers and flows"},
			&ucli.DurationFlag{Name: "slow-dns", Value: time.Second, Usage: "report DNS answers slower than this"},
		},
		Action: runAnalyze,
	})
}

func runAnalyze(c *ucli.Context) error {
	e := envOf(c)
	if c.NArg() != 1 {
		return usageErrorf("analyze: give one capture file, or - for standard input")
	}
	name := c.Args().First()
	var in io.Reader = e.stdin
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
	a := analyze.New(analyze.Options{Top: c.Int("top"), SlowDNS: c.Duration("slow-dns")})
	if err := a.ReadFrom(r); err != nil {
		return fmt.Errorf("analyze %s: %w", name, err)
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
