package show

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/netdiag/netdiag/ipvs"
)

// WriteIPVS prints the IPVS table as ipvsadm does, with numeric
// addresses and ports.
//
// Equivalent to: `ipvsadm -Ln`.
func WriteIPVS(w io.Writer, st *ipvs.State) error {
	var b strings.Builder
	fmt.Fprintf(&b, "IP Virtual Server version %s (size=%d)\n", st.Version, st.ConnTableSize)
	b.WriteString("Prot LocalAddress:Port Scheduler Flags\n")
	b.WriteString("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	for _, s := range st.Services {
		if s.FWMark != 0 {
			fmt.Fprintf(&b, "FWM  %d %s", s.FWMark, s.Scheduler)
		} else {
			fmt.Fprintf(&b, "%-4s %s %s", s.Protocol, netip.AddrPortFrom(s.Address, s.Port), s.Scheduler)
		}
		for _, f := range s.Flags {
			if f == "persistent" {
				fmt.Fprintf(&b, " persistent %d", s.Timeout)
				continue
			}
			b.WriteString(" " + f)
		}
		b.WriteString("\n")
		for _, d := range s.Destinations {
			fmt.Fprintf(&b, "  -> %-28s %-7s %-6d %-10d %-10d\n", netip.AddrPortFrom(d.Address, d.Port), d.Forward, d.Weight, d.ActiveConns, d.InactiveConns)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
