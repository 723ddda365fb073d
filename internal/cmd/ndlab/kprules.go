package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/netdiag/netdiag/internal/kpgen"
)

// Addresses of the lab's services, all in 198.18.0.0/15. StaleEndpoint is in
// the lab's pod range (198.18.0.0/24) above the last pod lab.sh can make
// (198.18.0.209), so no pod ever has it.
const (
	DNSVIP        = "198.18.200.53"
	WebVIP        = "198.18.200.10"
	StaleVIP      = "198.18.200.30"
	StaleEndpoint = "198.18.0.250"
	NoLocalVIP    = "198.18.200.24"
	NoLocalPort   = 30808
)

// kprules prints iptables-restore input for the chosen services.
func kprules(fs *flag.FlagSet, args []string) error {
	dns := fs.String("dns", "", "comma-separated DNS pod IPs: kube-system/kube-dns (udp and tcp 53) on "+DNSVIP)
	web := fs.String("web", "", "pod IP: default/web:http on "+WebVIP+":80 -> IP:8080")
	stale := fs.Bool("stale", false, "default/gone:http on "+StaleVIP+":80 -> "+StaleEndpoint+":8080, an IP no pod has")
	nolocal := fs.Bool("nolocal", false, "shop/nolocal: externalTrafficPolicy Local, NodePort 30808, no local endpoint")
	fs.Parse(args)

	var svcs []kpgen.Service
	if *dns != "" {
		var eps []kpgen.Endpoint
		for _, s := range strings.Split(*dns, ",") {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				return fmt.Errorf("parse --dns: %w", err)
			}
			eps = append(eps, kpgen.Endpoint{IP: ip, Port: 53, Local: true})
		}
		for _, proto := range []string{"udp", "tcp"} {
			name := "dns"
			if proto == "tcp" {
				name = "dns-tcp"
			}
			svcs = append(svcs, kpgen.Service{Namespace: "kube-system", Name: "kube-dns", PortName: name, Protocol: proto,
				ClusterIP: netip.MustParseAddr(DNSVIP), Port: 53, Endpoints: eps})
		}
	}
	if *web != "" {
		ip, err := netip.ParseAddr(*web)
		if err != nil {
			return fmt.Errorf("parse --web: %w", err)
		}
		svcs = append(svcs, kpgen.Service{Namespace: "default", Name: "web", PortName: "http", Protocol: "tcp",
			ClusterIP: netip.MustParseAddr(WebVIP), Port: 80, Endpoints: []kpgen.Endpoint{{IP: ip, Port: 8080, Local: true}}})
	}
	if *stale {
		svcs = append(svcs, kpgen.Service{Namespace: "default", Name: "gone", PortName: "http", Protocol: "tcp",
			ClusterIP: netip.MustParseAddr(StaleVIP), Port: 80,
			Endpoints: []kpgen.Endpoint{{IP: netip.MustParseAddr(StaleEndpoint), Port: 8080, Local: true}}})
	}
	if *nolocal {
		svcs = append(svcs, kpgen.Service{Namespace: "shop", Name: "nolocal", Protocol: "tcp",
			ClusterIP: netip.MustParseAddr(NoLocalVIP), Port: 8080, NodePort: NoLocalPort, LocalPolicy: true,
			Endpoints: []kpgen.Endpoint{{IP: netip.MustParseAddr("198.18.1.60"), Port: 8080}}})
	}
	_, err := os.Stdout.WriteString(kpgen.IPTables(kpgen.LabConfig(), svcs))
	return err
}
