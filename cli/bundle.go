package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/bundle"
	"github.com/netdiag/netdiag/capture"
	"github.com/netdiag/netdiag/node"
)

func init() {
	register(&ucli.Command{
		Name:  "bundle",
		Usage: "collect everything netdiag can read about the node into one tar.gz for a support case",
		Description: "Writes netdiag-bundle-HOSTNAME-YYYYMMDD-HHMMSS.tar.gz (UTC) in the current directory,\n" +
			"or FILE with -w (- for stdout), created 0600 without following symlinks. It holds the\n" +
			"doctor report, the pods, interfaces/addresses/routes/neighbours, sockets, sysctls and\n" +
			"counters of the node and every pod netns, iptables (both backends), nftables, IPVS,\n" +
			"kube-proxy services, conntrack statistics and a sample of entries, the CNI configuration\n" +
			"(secrets redacted), the kernel log's network lines, and manifest.json, which says what\n" +
			"each file is and what could not be collected and why. Nothing else: no environment, no\n" +
			"process command lines, no secrets. Everything is read-only.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "write", Aliases: []string{"w"}, Usage: "write the bundle to `FILE` (- for stdout)"},
			&ucli.StringFlag{Name: "max-size", Value: "20MiB", Usage: "cap on the uncompressed `SIZE` of the collected files (K, M, G suffixes; manifest.json comes on top)"},
			&ucli.IntFlag{Name: "conntrack-sample", Value: bundle.DefaultConntrackSample, Usage: "keep the first `N` conntrack entries (0: none)"},
		},
		Action: runBundle,
	})
}

func runBundle(c *ucli.Context) error {
	if c.Args().Present() {
		return usageErrorf("bundle takes no arguments, got %q: give the file with -w", c.Args().First())
	}
	maxSize, err := bundle.ParseSize(c.String("max-size"))
	if err != nil {
		return usageErrorf("--max-size: %v", err)
	}
	sample := c.Int("conntrack-sample")
	if sample < 0 {
		return usageErrorf("--conntrack-sample must be 0 or more, got %d", sample)
	}
	if sample == 0 {
		sample = -1 // bundle.Options: negative means none
	}
	g := globals(c)
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	now := time.Now()
	// The node's name as the kubelet registered it, which is how the
	// cluster knows it (the host name when nothing overrides it).
	host, _ := node.NodeName(node.Options{HostRoot: g.HostRoot, NodeNetNS: g.NodeNetNS})
	o := bundle.Options{
		HostRoot: g.HostRoot, NodeNetNS: g.NodeNetNS, RuntimeEndpoint: g.RuntimeEndpoint,
		MaxSize: maxSize, ConntrackSample: sample, Version: Version, Now: now, Hostname: host,
	}
	e := envOf(c)
	name := c.String("write")
	if name == "" {
		name = bundle.FileName(host, now)
	}
	if name == "-" {
		if isTerminal(e.stdout) {
			return usageErrorf("refusing to write a tar.gz to a terminal: redirect stdout or give -w FILE")
		}
		cw := &countWriter{w: e.stdout}
		man, err := bundle.Write(ctx, cw, o)
		if err != nil {
			return err
		}
		summary(e.stderr, "stdout", cw.n, man)
		return nil
	}
	f, err := capture.CreateFile(name)
	if err != nil {
		return err
	}
	cw := &countWriter{w: f}
	man, err := bundle.Write(ctx, cw, o)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", name, cerr)
	}
	if err != nil {
		if fi, serr := os.Lstat(name); serr == nil && fi.Mode().IsRegular() {
			os.Remove(name) // a cut-off archive helps nobody
		}
		return fmt.Errorf("write bundle %s: %w", name, err)
	}
	if isJSON(c) {
		return writeJSON(e.stdout, struct {
			File         string           `json:"file"`
			Bytes        int64            `json:"bytes"`
			ContentSize  int64            `json:"contentSize"`
			Files        int              `json:"files"`
			NotCollected []bundle.Missing `json:"notCollected"`
		}{name, cw.n, man.ContentSize, len(man.Files), man.NotCollected})
	}
	summary(e.stdout, name, cw.n, man)
	return nil
}

// summary says what was written, and what is missing, in a few lines.
func summary(w io.Writer, where string, n int64, man *bundle.Manifest) {
	fmt.Fprintf(w, "wrote %s: %d bytes compressed, %d files, %d bytes of content (cap %d)\n",
		where, n, len(man.Files), man.ContentSize, man.MaxSize)
	trunc := 0
	for _, f := range man.Files {
		if f.Truncated {
			trunc++
		}
	}
	if trunc > 0 {
		fmt.Fprintf(w, "%d files were truncated to fit --max-size; manifest.json says which\n", trunc)
	}
	for _, m := range man.NotCollected {
		fmt.Fprintf(w, "not collected: %s: %s\n", m.Name, m.Reason)
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
