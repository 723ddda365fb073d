// Command ndkpgen prints kube-proxy's iptables rules for synthetic
// services, as iptables-restore reads them, for benchmarks on a netns of
// their own:
//
//	ndkpgen -services 5000 -endpoints 20000 | ip netns exec NS iptables-nft-restore
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/netdiag/netdiag/internal/kpgen"
)

func main() {
	nsvc := flag.Int("services", 5000, "services")
	neps := flag.Int("endpoints", 20000, "endpoints, spread over the services")
	flag.Parse()
	if *nsvc <= 0 || *neps < 0 {
		fmt.Fprintln(os.Stderr, "ndkpgen: -services must be positive and -endpoints not negative")
		os.Exit(2)
	}
	fmt.Print(kpgen.IPTables(kpgen.LabConfig(), kpgen.Synthetic(*nsvc, *neps)))
}
