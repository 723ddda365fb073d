package cli

import (
	"errors"
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/show"
)

func init() {
	register(&ucli.Command{
		Name:      "nft",
		Usage:     "show the nftables ruleset like nft list ruleset: tables, chains, rules, sets and maps",
		ArgsUsage: "[SELECTOR]",
		Description: "Reads nf_tables over netlink inside the namespace; no nft binary is needed.\n" +
			"Rules are printed in nft syntax; iptables-nft's compatibility matches show as xt match \"NAME\".",
		Flags: append(selectorFlags(),
			&ucli.StringFlag{Name: "table", Usage: "only this table: `NAME` or \"FAMILY NAME\" (e.g. \"ip kube-proxy\")"},
		),
		Action: runNFT,
	})
}

func runNFT(c *ucli.Context) error {
	if c.Args().Present() {
		return usageErrorf("nft takes no arguments, got %q: use --table to pick a table", c.Args().First())
	}
	family, table := "", c.String("table")
	if f, n, ok := strings.Cut(table, " "); ok {
		family, table = f, strings.TrimSpace(n)
		switch family {
		case "ip", "ip6", "inet", "arp", "bridge", "netdev":
		default:
			return usageErrorf("unknown nftables family %q: use ip, ip6, inet, arp, bridge or netdev", family)
		}
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	rs, err := nftables.Dump(ns, family, table)
	if errors.Is(err, nftables.ErrTableNotFound) {
		all, aerr := nftables.Dump(ns, "", "")
		if aerr == nil {
			var names []string
			for _, t := range all.Tables {
				names = append(names, t.Family+" "+t.Name)
			}
			if len(names) == 0 {
				names = []string{"none"}
			}
			return fmt.Errorf("no nftables table %q: tables are %s", c.String("table"), strings.Join(names, ", "))
		}
	}
	if err != nil {
		return err
	}
	e := envOf(c)
	if isJSON(c) {
		if rs.Tables == nil {
			rs.Tables = []nftables.Table{}
		}
		return writeJSON(e.stdout, rs)
	}
	return show.WriteNFT(e.stdout, rs)
}
