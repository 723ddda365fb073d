// Command ndpcapgen writes a large pcap for read benchmarks by repeating the
// packets of smaller captures with steadily increasing timestamps.
//
//	ndpcapgen -n 1000000 -o big.pcap in1.pcap in2.pcap …
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ndpcapgen:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 1000000, "packets to write")
	out := flag.String("o", "", "output pcap")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		return errors.New("usage: ndpcapgen -n N -o OUT.pcap IN.pcap…")
	}
	// Ethernet captures only, so one output link type fits all.
	var pkts [][]byte
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		r, err := pcapio.NewReader(f)
		if err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		if r.LinkType() != pcapio.LinkTypeEthernet {
			f.Close()
			continue
		}
		for {
			p, err := r.Next()
			if err != nil {
				break
			}
			pkts = append(pkts, append([]byte(nil), p.Data...))
		}
		f.Close()
	}
	if len(pkts) == 0 {
		return errors.New("no Ethernet packets in the inputs")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := pcapio.NewPcapWriter(bw, pcapio.LinkTypeEthernet, 262144, false)
	if err != nil {
		return err
	}
	ts := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < *n; i++ {
		d := pkts[i%len(pkts)]
		if err := w.WritePacket(pcapio.Packet{Timestamp: ts, Data: d, CaptureLen: len(d), OrigLen: len(d)}); err != nil {
			return err
		}
		ts = ts.Add(37 * time.Microsecond)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return nil
}
