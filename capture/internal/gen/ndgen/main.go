// Command ndgen sends a bounded burst of UDP frames on an interface of a
// network namespace, for scripts/bench-capture.sh. Lab use only.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/netdiag/netdiag/capture/internal/gen"
	"github.com/netdiag/netdiag/nsutil"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ndgen:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		netns  = flag.String("netns", "", "netns path (default: current)")
		iface  = flag.String("i", "", "interface")
		count  = flag.Int("c", 1000000, "packets to send")
		pps    = flag.Int("rate", 0, "packets per second (0: as fast as possible)")
		size   = flag.Int("size", 64, "frame size in bytes (without FCS)")
		max    = flag.Duration("max", 60*time.Second, "stop after this long regardless of -c")
		bypass = flag.Bool("bypass", true, "PACKET_QDISC_BYPASS (captures on the sending interface then miss the frames)")
		dmac   = flag.String("dst-mac", "", "destination MAC (default broadcast)")
	)
	flag.Parse()
	if *iface == "" {
		return fmt.Errorf("-i is required")
	}
	cfg := gen.Config{Interface: *iface, Count: *count, PPS: *pps, Size: *size, MaxDuration: *max, QdiscBypass: *bypass}
	if *dmac != "" {
		m, err := net.ParseMAC(*dmac)
		if err != nil {
			return err
		}
		cfg.DstMAC = m
	}
	var ns gen.Namespace
	if *netns != "" {
		n, err := nsutil.Open(*netns)
		if err != nil {
			return err
		}
		defer n.Close()
		ns = n
	}
	res, err := gen.Send(ns, cfg)
	fmt.Printf("sent %d packets in %.3fs (%.0f pps)\n", res.Sent, res.Elapsed.Seconds(), float64(res.Sent)/res.Elapsed.Seconds())
	return err
}
