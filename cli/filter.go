package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/capture/filter"
)

func init() {
	register(&ucli.Command{
		Name:      "filter",
		Usage:     "compile a pcap-filter(7) expression and print the BPF program like tcpdump -d/-dd/-ddd",
		ArgsUsage: "EXPRESSION…",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "y", Value: "EN10MB", Usage: "link type: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6"},
			&ucli.UintFlag{Name: "s", Value: filter.DefaultSnaplen, Usage: "snapshot length returned on accept"},
			&ucli.BoolFlag{Name: "d", Usage: "print readable assembly (default)"},
			&ucli.BoolFlag{Name: "dd", Usage: "print a C array"},
			&ucli.BoolFlag{Name: "ddd", Usage: "print decimal numbers"},
			&ucli.BoolFlag{Name: "O", Usage: "do not optimize"},
			&ucli.BoolFlag{Name: "allow-dns", Usage: "resolve host names missing from the host's /etc/hosts through DNS"},
		},
		Action: runFilter,
	})
}

func runFilter(c *ucli.Context) error {
	lt, err := filter.ParseLinkType(c.String("y"))
	if err != nil {
		return usageErrorf("%v", err)
	}
	format := filter.DumpAsm
	switch {
	case c.Bool("ddd"):
		format = filter.DumpDecimal
	case c.Bool("dd"):
		format = filter.DumpC
	}
	// Any length, as tcpdump -d prints libpcap's program whatever its size.
	root := globals(c).HostRoot
	opts := []filter.Option{filter.HostsFile(filepath.Join(root, "etc/hosts")), filter.EthersFile(filepath.Join(root, "etc/ethers")),
		filter.NetworksFile(filepath.Join(root, "etc/networks")), filter.AnyLength()}
	if c.Bool("O") {
		opts = append(opts, filter.NoOptimize())
	}
	if c.Bool("allow-dns") {
		opts = append(opts, filter.AllowDNS())
	}
	expr := strings.Join(c.Args().Slice(), " ")
	prog, err := filter.Compile(expr, lt, uint32(c.Uint("s")), opts...)
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) || errors.Is(err, filter.ErrRejectsAll) {
			return fmt.Errorf("filter: %w", err)
		}
		return fmt.Errorf("filter: %w", err)
	}
	if err := filter.Dump(envOf(c).stdout, prog, format); err != nil {
		return err
	}
	if len(prog) > filter.MaxInstructions {
		// What tcpdump only finds out when it attaches the program
		// ("Kernel filter failed: Invalid argument").
		fmt.Fprintf(envOf(c).stderr, "netdiag: filter: warning: %d instructions, more than the kernel's %d: a capture cannot attach this program\n", len(prog), filter.MaxInstructions)
	}
	return nil
}
