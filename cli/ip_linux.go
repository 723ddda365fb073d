package cli

import (
	"io"
	"strings"

	"github.com/netdiag/netdiag/rtnl"
	ucli "github.com/urfave/cli/v2"
	"github.com/vishvananda/netlink"
)

func init() {
	sub := func(name, usage string, action func(*ucli.Context, *netlink.Handle) error, extra ...ucli.Flag) *ucli.Command {
		return &ucli.Command{
			Name:      name,
			Usage:     usage,
			ArgsUsage: "[SELECTOR]",
			Flags:     append(selectorFlags(), extra...),
			Action: func(c *ucli.Context) error {
				if c.Args().Present() {
					return usageErrorf("ip %s takes no arguments, only selector flags (got %q)", name, c.Args().First())
				}
				return withHandle(c, func(h *netlink.Handle) error { return action(c, h) })
			},
		}
	}
	family := &ucli.StringFlag{Name: "family", Aliases: []string{"f"}, Value: "all", Usage: "address family: inet (4), inet6 (6) or all"}
	register(&ucli.Command{
		Name:  "ip",
		Usage: "show interfaces, addresses, routes and neighbours of the node or a pod (iproute2-like)",
		Subcommands: []*ucli.Command{
			sub("addr", "interfaces and their addresses (ip addr show)",
				ipShow(rtnl.Options{Addrs: true}, "links", ipLinks, rtnl.WriteAddrs), family),
			sub("link", "interfaces (ip link show)",
				ipShow(rtnl.Options{}, "links", ipLinks, rtnl.WriteLinks)),
			sub("route", "routes of the main table (ip route show; -f inet6 for IPv6, all for both)",
				ipShow(rtnl.Options{Routes: true}, "routes", func(st *rtnl.State) []rtnl.Route { return st.Routes }, rtnl.WriteRoutes),
				&ucli.StringFlag{Name: "family", Aliases: []string{"f"}, Value: "inet", Usage: "address family: inet (4), inet6 (6) or all"}),
			// Like `ip neigh show`: NOARP and NONE entries come only with `nud all`,
			// which netdiag does not offer.
			sub("neigh", "neighbour (ARP/NDP) table (ip neigh show)",
				ipShow(rtnl.Options{Neighbors: true}, "neighbors", func(st *rtnl.State) []rtnl.Neigh { return st.Neighbors }, rtnl.WriteNeighbors), family),
		},
	})
}

// withHandle runs fn with a netlink handle in the target netns.
func withHandle(c *ucli.Context, fn func(*netlink.Handle) error) error {
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	return fn(h)
}

func familyOf(c *ucli.Context) (int, error) {
	switch strings.ToLower(c.String("family")) {
	case "all", "any", "":
		return netlink.FAMILY_ALL, nil
	case "inet", "4", "ipv4":
		return netlink.FAMILY_V4, nil
	case "inet6", "6", "ipv6":
		return netlink.FAMILY_V6, nil
	}
	return 0, usageErrorf("unknown family %q: use inet, inet6 or all", c.String("family"))
}

// ipShow reads what opt asks for in the --family given and writes one part
// of it: as text, or in JSON as {"KEY": [...]}.
func ipShow[T any](opt rtnl.Options, key string, part func(*rtnl.State) []T, text func(io.Writer, []T) error) func(*ucli.Context, *netlink.Handle) error {
	return func(c *ucli.Context, h *netlink.Handle) error {
		fam, err := familyOf(c)
		if err != nil {
			return err
		}
		opt.Family = fam
		st, err := rtnl.ReadHandle(h, opt)
		if err != nil {
			return err
		}
		if isJSON(c) {
			return writeJSON(envOf(c).stdout, map[string][]T{key: part(st)})
		}
		return text(envOf(c).stdout, part(st))
	}
}

func ipLinks(st *rtnl.State) []rtnl.Link { return st.Links }
