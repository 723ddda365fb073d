package cli

import (
	"io"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
	"github.com/netdiag/netdiag/show"
)

func init() {
	sub := func(name, usage string, action func(*ucli.Context, *nsutil.NetNS) error, extra ...ucli.Flag) *ucli.Command {
		return &ucli.Command{
			Name:      name,
			Usage:     usage,
			ArgsUsage: "[SELECTOR]",
			Flags:     append(selectorFlags(), extra...),
			Action: func(c *ucli.Context) error {
				if c.Args().Present() {
					return usageErrorf("ip %s takes no arguments, only selector flags (got %q)", name, c.Args().First())
				}
				return withNetNS(c, func(ns *nsutil.NetNS) error { return action(c, ns) })
			},
		}
	}
	family := &ucli.StringFlag{Name: "family", Aliases: []string{"f"}, Value: "all", Usage: "address family: inet (4), inet6 (6) or all"}
	register(&ucli.Command{
		Name:  "ip",
		Usage: "show interfaces, addresses, routes and neighbours of the node or a pod (iproute2-like)",
		Subcommands: []*ucli.Command{
			sub("addr", "interfaces and their addresses (ip addr show)",
				ipShow(show.IPOptions{Addrs: true}, "links", ipLinks, show.WriteAddrs), family),
			sub("link", "interfaces (ip link show)",
				ipShow(show.IPOptions{}, "links", ipLinks, show.WriteLinks)),
			sub("route", "routes of the main table (ip route show; -f inet6 for IPv6, all for both)",
				ipShow(show.IPOptions{Routes: true}, "routes", func(st *show.IPState) []show.Route { return st.Routes }, show.WriteRoutes),
				&ucli.StringFlag{Name: "family", Aliases: []string{"f"}, Value: "inet", Usage: "address family: inet (4), inet6 (6) or all"}),
			// Like `ip neigh show`: NOARP and NONE entries come only with `nud all`,
			// which netdiag does not offer.
			sub("neigh", "neighbour (ARP/NDP) table (ip neigh show)",
				ipShow(show.IPOptions{Neighbors: true}, "neighbors", func(st *show.IPState) []show.Neigh { return st.Neighbors }, show.WriteNeighbors), family),
		},
	})
}

// withNetNS runs fn with the target netns open.
func withNetNS(c *ucli.Context, fn func(*nsutil.NetNS) error) error {
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	return fn(ns)
}

func familyOf(c *ucli.Context) (int, error) {
	switch strings.ToLower(c.String("family")) {
	case "all", "any", "":
		return rtnl.FamilyAll, nil
	case "inet", "4", "ipv4":
		return rtnl.FamilyV4, nil
	case "inet6", "6", "ipv6":
		return rtnl.FamilyV6, nil
	}
	return 0, usageErrorf("unknown family %q: use inet, inet6 or all", c.String("family"))
}

// ipShow reads what opt asks for in the --family given and writes one part
// of it: as text, or in JSON as {"KEY": [...]}.
func ipShow[T any](opt show.IPOptions, key string, part func(*show.IPState) []T, text func(io.Writer, []T) error) func(*ucli.Context, *nsutil.NetNS) error {
	return func(c *ucli.Context, ns *nsutil.NetNS) error {
		fam, err := familyOf(c)
		if err != nil {
			return err
		}
		opt.Family = fam
		st, err := show.ReadIP(ns, opt)
		if err != nil {
			return err
		}
		if isJSON(c) {
			return writeJSON(envOf(c).stdout, map[string][]T{key: part(st)})
		}
		return text(envOf(c).stdout, part(st))
	}
}

func ipLinks(st *show.IPState) []show.Link { return st.Links }
