package bundle

import (
	"fmt"
	"io"

	"github.com/netdiag/netdiag/show"
)

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
