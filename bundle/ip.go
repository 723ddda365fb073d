package bundle

import (
	"fmt"
	"io"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/show"
)

// readIP reads what `ip addr`, `ip route show table all` and `ip neigh show
// nud all` show of ns. A part that fails is noted in Errors; the rest is
// still read. It is nil only when ns could not be entered.
func readIP(ns *nsutil.NetNS) (*show.IPState, error) {
	return show.ReadIP(ns, show.IPOptions{Addrs: true, Routes: true, Neighbors: true, AllTables: true, AllStates: true})
}

// writeAddrText writes the links and addresses like `ip addr show`, after a
// comment line for each part that could not be read.
func writeAddrText(ip *show.IPState) func(io.Writer) error {
	return func(w io.Writer) error {
		for _, e := range ip.Errors {
			if _, err := fmt.Fprintf(w, "# netdiag: %s\n", e); err != nil {
				return err
			}
		}
		return show.WriteAddrs(w, ip.Links)
	}
}
