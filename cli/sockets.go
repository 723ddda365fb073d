package cli

import (
	"net"
	"strconv"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/sockdiag"
)

func init() {
	register(&ucli.Command{
		Name:                   "sockets",
		UseShortOptionHandling: true,
		Usage:                  "list TCP and UDP sockets of the node or a pod, like ss -tunap",
		ArgsUsage:              "[SELECTOR]",
		Description: "Reads sockets through NETLINK_SOCK_DIAG inside the namespace. Without -l or -a it\n" +
			"shows connected sockets, as ss does. For LISTEN sockets Recv-Q is the accept queue\n" +
			"and Send-Q the backlog (min(listen backlog, net.core.somaxconn)). Process shows the\n" +
			"processes holding the socket (from /proc/*/fd).",
		Flags: append(selectorFlags(),
			&ucli.BoolFlag{Name: "listening", Aliases: []string{"l"}, Usage: "only listening sockets (TCP LISTEN, UDP UNCONN)"},
			&ucli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "sockets in every state"},
			&ucli.BoolFlag{Name: "tcp", Aliases: []string{"t"}, Usage: "TCP sockets (default: TCP and UDP)"},
			&ucli.BoolFlag{Name: "udp", Aliases: []string{"u"}, Usage: "UDP sockets (default: TCP and UDP)"},
			&ucli.BoolFlag{Name: "ipv4", Aliases: []string{"4"}, Usage: "only IPv4"},
			&ucli.BoolFlag{Name: "ipv6", Aliases: []string{"6"}, Usage: "only IPv6"},
			&ucli.BoolFlag{Name: "no-processes", Usage: "do not look up owning processes"},
			// ss habits: netdiag never resolves names and shows processes by default.
			&ucli.BoolFlag{Name: "numeric", Aliases: []string{"n"}, Usage: "do not resolve names (netdiag never does)"},
			&ucli.BoolFlag{Name: "processes", Aliases: []string{"p"}, Usage: "show owning processes (the default)"},
		),
		Action: runSockets,
	})
}

func runSockets(c *ucli.Context) error {
	if c.Args().Present() {
		return usageErrorf("sockets takes no arguments, got %q: select a pod with --pod, --pod-ip, --pid or --netns", c.Args().First())
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	socks, err := sockdiag.List(ns, sockdiag.Filter{
		TCP: c.Bool("tcp"), UDP: c.Bool("udp"), IPv4: c.Bool("ipv4"), IPv6: c.Bool("ipv6"),
		Listening: c.Bool("listening"), All: c.Bool("all"), NoProcesses: c.Bool("no-processes"),
	})
	if err != nil {
		return err
	}
	e := envOf(c)
	if isJSON(c) {
		if socks == nil {
			socks = []sockdiag.Socket{}
		}
		return writeJSON(e.stdout, struct {
			Sockets []sockdiag.Socket `json:"sockets"`
		}{socks})
	}
	names := map[uint32]string{}
	ifname := func(idx uint32) string {
		if idx == 0 {
			return ""
		}
		if n, ok := names[idx]; ok {
			return n
		}
		// Interface indexes are per netns; ask inside it.
		n := strconv.Itoa(int(idx))
		_ = ns.Do(func() error {
			if ifi, err := net.InterfaceByIndex(int(idx)); err == nil {
				n = ifi.Name
			}
			return nil
		})
		names[idx] = n
		return n
	}
	t := newTable(e.stdout, "Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "Process")
	for _, s := range socks {
		dual := !s.V6Only
		t.row(s.Netid, s.State, s.RecvQ, s.SendQ,
			sockdiag.Address(s.Local, ifname(s.Interface), false, dual),
			sockdiag.Address(s.Peer, "", true, dual),
			sockdiag.Users(s.Processes))
	}
	return t.flush()
}
