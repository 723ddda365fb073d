package cli

import (
	"errors"
	"fmt"
	"net/netip"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/ipvs"
	"github.com/netdiag/netdiag/show"
)

func init() {
	register(&ucli.Command{
		Name:      "ipvs",
		Usage:     "show IPVS virtual servers and real servers, like ipvsadm -Ln",
		ArgsUsage: "[SELECTOR]",
		Description: "Reads IPVS over generic netlink inside the namespace; no ipvsadm is needed.\n" +
			"When IPVS is not loaded it says so and exits 0.",
		Flags: append(selectorFlags(),
			&ucli.StringFlag{Name: "tcp-service", Aliases: []string{"t"}, Usage: "only the TCP virtual server `VIP:PORT`"},
			&ucli.StringFlag{Name: "udp-service", Aliases: []string{"u"}, Usage: "only the UDP virtual server `VIP:PORT`"},
		),
		Action: runIPVS,
	})
}

func runIPVS(c *ucli.Context) error {
	if c.Args().Present() {
		return usageErrorf("ipvs takes no arguments, got %q: use -t or -u VIP:PORT", c.Args().First())
	}
	proto, addr := "", ""
	switch {
	case c.String("tcp-service") != "" && c.String("udp-service") != "":
		return usageErrorf("give either -t or -u, not both")
	case c.String("tcp-service") != "":
		proto, addr = "TCP", c.String("tcp-service")
	case c.String("udp-service") != "":
		proto, addr = "UDP", c.String("udp-service")
	}
	var ap netip.AddrPort
	if addr != "" {
		var err error
		if ap, err = netip.ParseAddrPort(addr); err != nil {
			return usageErrorf("malformed virtual server %q: want VIP:PORT, e.g. 10.96.0.1:443", addr)
		}
	}
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	e := envOf(c)
	st, err := ipvs.Dump(ns)
	if errors.Is(err, ipvs.ErrNotLoaded) {
		if isJSON(c) {
			return writeJSON(e.stdout, struct {
				Loaded   bool           `json:"loaded"`
				Message  string         `json:"message"`
				Services []ipvs.Service `json:"services"`
			}{false, err.Error(), []ipvs.Service{}})
		}
		fmt.Fprintln(e.stdout, err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	if addr != "" {
		st.Services = st.Filter(proto, ap)
		if len(st.Services) == 0 {
			return fmt.Errorf("no IPVS virtual server %s %s", proto, ap)
		}
	}
	if isJSON(c) {
		return writeJSON(e.stdout, struct {
			Loaded bool `json:"loaded"`
			*ipvs.State
		}{true, st})
	}
	return show.WriteIPVS(e.stdout, st)
}
