package cli

import (
	"fmt"
	"io"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/show"
)

func init() {
	register(&ucli.Command{
		Name:      "iptables",
		Usage:     "show iptables rules with counters, like iptables-save -c, from every backend that holds rules",
		ArgsUsage: "[SELECTOR]",
		Description: "Reads both iptables backends inside the namespace and counts the rules each holds,\n" +
			"as iptables-wrappers does. When both hold rules both are shown, and a comment says so.\n" +
			"The nft backend is read over netlink and printed exactly as iptables-nft-save -c (v1.8.9)\n" +
			"prints it; only when a rule holds something the reader cannot translate with certainty\n" +
			"is the node's iptables-nft-save run (found under --host-root, else on PATH). Legacy\n" +
			"(x_tables) rules need iptables-legacy-save, which runs only when the namespace's\n" +
			"/proc/net/ip_tables_names lists a table. When nothing can be read that way, the\n" +
			"nf_tables tables are shown in nft syntax.",
		Flags: append(selectorFlags(),
			&ucli.StringFlag{Name: "table", Aliases: []string{"t"}, Usage: "only this table: filter, nat, mangle, raw, security"},
			&ucli.StringFlag{Name: "chain", Usage: "only this chain"},
			&ucli.BoolFlag{Name: "ipv6", Aliases: []string{"6"}, Usage: "the ip6tables rules, like ip6tables-save -c"},
		),
		Action: runIPTables,
	})
}

var iptablesTables = []string{"filter", "nat", "mangle", "raw", "security"}

// iptablesResult is the JSON of `netdiag iptables`.
type iptablesResult struct {
	Backends []iptables.BackendStatus `json:"backends"`
	Notes    []string                 `json:"notes,omitempty"`
	Rulesets []*iptables.Ruleset      `json:"rulesets"`
	// NFTables holds the nf_tables tables read directly when no iptables binary could run.
	NFTables *nftables.Ruleset `json:"nftables,omitempty"`
}

func runIPTables(c *ucli.Context) error {
	if c.Args().Present() {
		return usageErrorf("iptables takes no arguments, got %q: select a pod with --pod, --pod-ip, --pid or --netns", c.Args().First())
	}
	table, chain := c.String("table"), c.String("chain")
	if table != "" && !contains(iptablesTables, table) {
		return usageErrorf("unknown iptables table %q: use one of %s", table, strings.Join(iptablesTables, ", "))
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	res := iptablesResult{Rulesets: []*iptables.Ruleset{}}
	backends := iptables.Backends
	if c.Bool("ipv6") {
		backends = iptables.Backends6
	}
	sts, sets, err := backends(ns, globals(c).HostRoot)
	res.Backends = sts
	if err != nil {
		// No binary at all: read nf_tables directly.
		rs, nerr := nftables.Dump(ns, "", "")
		if nerr != nil {
			return fmt.Errorf("%w; reading nf_tables directly failed too: %w", err, nerr)
		}
		direct := &nftables.Ruleset{}
		for _, t := range rs.Tables {
			if (t.Family == "ip" || t.Family == "ip6") && contains(iptablesTables, t.Name) && (table == "" || t.Name == table) {
				direct.Tables = append(direct.Tables, t)
			}
		}
		res.NFTables = direct
		res.Notes = append(res.Notes, "no iptables-save binary on the node (--host-root) or on PATH: showing the nf_tables tables of iptables-nft read directly, in nft syntax; legacy (x_tables) tables could not be read")
		return writeIPTables(c, res)
	}
	var withRules []iptables.Backend
	for _, st := range sts {
		if st.Rules > 0 {
			withRules = append(withRules, st.Backend)
		}
	}
	show := withRules
	switch {
	case len(withRules) == 2:
		res.Notes = append(res.Notes, fmt.Sprintf("rules in both iptables backends (legacy: %d rules, nft: %d rules); showing both: check which one the node's components use", sts[0].Rules, sts[1].Rules))
	case len(withRules) == 0:
		res.Notes = append(res.Notes, "no iptables rules in either backend")
		for _, b := range []iptables.Backend{iptables.NFT, iptables.Legacy} {
			if sets[b] != nil {
				show = []iptables.Backend{b}
				break
			}
		}
	}
	for _, st := range sts {
		switch {
		case st.Error != "":
			res.Notes = append(res.Notes, fmt.Sprintf("%s backend could not be read: %s", st.Backend, st.Error))
		case st.Source == iptables.SourceNetlink:
			res.Notes = append(res.Notes, fmt.Sprintf("%s backend read over netlink (%d rules), printed as iptables-nft-save -c v1.8.9 does; no binary run", st.Backend, st.Rules))
		case st.Fallback != "":
			res.Notes = append(res.Notes, fmt.Sprintf("%s backend read by %s: the netlink reader could not (%s)", st.Backend, st.Source, st.Fallback))
		}
	}
	found := false
	var lastErr error
	for _, b := range show {
		f, err := sets[b].Filter(table, chain)
		if err != nil {
			lastErr = err
			continue
		}
		found = true
		res.Rulesets = append(res.Rulesets, f)
	}
	if !found && lastErr != nil && (table != "" || chain != "") {
		return lastErr
	}
	return writeIPTables(c, res)
}

func writeIPTables(c *ucli.Context, res iptablesResult) error {
	e := envOf(c)
	if isJSON(c) {
		return writeJSON(e.stdout, res)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(e.stdout, "# netdiag: %s\n", n)
	}
	if res.NFTables != nil {
		return show.WriteNFT(e.stdout, res.NFTables)
	}
	for _, rs := range res.Rulesets {
		writeSaveHeader(e.stdout, rs)
		if err := rs.WriteSave(e.stdout); err != nil {
			return err
		}
	}
	return nil
}

func writeSaveHeader(w io.Writer, rs *iptables.Ruleset) {
	if rs.Version == "" {
		// Read over netlink, or no tables: no binary told its version.
		fmt.Fprintf(w, "# netdiag: backend %s\n", rs.Backend)
		return
	}
	fmt.Fprintf(w, "# netdiag: backend %s (iptables %s)\n", rs.Backend, rs.Version)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
