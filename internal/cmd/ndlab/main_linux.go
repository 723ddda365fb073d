// Command ndlab is the traffic and service helper of scripts/lab.sh's fault
// injection: kube-proxy rules from internal/kpgen, a DNS server that can be
// made slow, a listener with a chosen backlog, bounded connect and UDP bursts,
// and the parallel A/AAAA race behind conntrack insert_failed. Each runs in
// whatever netns lab.sh starts it in, and every loop is bounded in count and
// time.
//
//	ndlab kprules [--dns IP,IP] [--web IP] [--stale] [--nolocal]
//	ndlab dns-server --addr IP:PORT [--delay D]
//	ndlab listen --addr IP:PORT --backlog N
//	ndlab connect --count N --timeout D [--src IP] IP:PORT
//	ndlab udpsend --src IP --dst IP:PORT --rate N --duration D
//	ndlab dns-race --server IP:PORT --duration D
//	ndlab syn-race --src IP --dst IP:PORT --duration D
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	var err error
	switch os.Args[1] {
	case "kprules":
		err = kprules(fs, os.Args[2:])
	case "dns-server":
		err = dnsServer(fs, os.Args[2:])
	case "listen":
		err = listen(fs, os.Args[2:])
	case "connect":
		err = connect(fs, os.Args[2:])
	case "udpsend":
		err = udpSend(fs, os.Args[2:])
	case "syn-race":
		err = synRace(fs, os.Args[2:])
	case "dns-race":
		err = dnsRace(fs, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ndlab %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: ndlab kprules|dns-server|listen|connect|udpsend|dns-race|syn-race [flags]")
	os.Exit(2)
}
