package decode

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

var fuzzLinkTypes = []pcapio.LinkType{
	pcapio.LinkTypeEthernet, pcapio.LinkTypeLinuxSLL, pcapio.LinkTypeLinuxSLL2, pcapio.LinkTypeRaw,
	pcapio.LinkTypeIPv4, pcapio.LinkTypeIPv6, pcapio.LinkTypeNull, pcapio.LinkTypeLoop,
}

// FuzzPrint prints arbitrary bytes as a packet of every link type with
// several flag sets: the printer must never panic and always end the
// packet's output with a newline. Seeds are the packets of testdata/*.pcap.
func FuzzPrint(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.pcap")
	for _, file := range files {
		fh, err := os.Open(file)
		if err != nil {
			f.Fatal(err)
		}
		r, err := pcapio.NewReader(fh)
		if err != nil {
			f.Fatal(err)
		}
		for i := 0; ; i++ {
			p, err := r.Next()
			if err != nil {
				break
			}
			if i%4 == 0 {
				f.Add(byte(r.LinkType()), append([]byte(nil), p.Data...))
			}
		}
		fh.Close()
	}
	for _, s := range allSynth() {
		for _, pkt := range s.pkts {
			f.Add(byte(s.lt), pkt)
		}
	}
	opts := []Options{
		{NumericHosts: true, NumericPorts: true},
		{NumericHosts: true, Verbose: 2, LinkHeader: true, Hex: 1},
		{Verbose: 3, ASCII: 2, TimeFormat: TimeDelta},
	}
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		lt := fuzzLinkTypes[int(sel)%len(fuzzLinkTypes)]
		for _, o := range opts {
			var out bytes.Buffer
			p := NewPrinter(&out, lt, o)
			for _, caplen := range []int{len(data), len(data) / 2} {
				pkt := pcapio.Packet{Timestamp: time.Unix(1700000000, 0), Data: data[:caplen], CaptureLen: caplen, OrigLen: len(data) + int(sel)}
				if err := p.Print(pkt); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Flush(); err != nil {
				t.Fatal(err)
			}
			if out.Len() == 0 || out.Bytes()[out.Len()-1] != '\n' {
				t.Fatalf("output does not end with a newline: %q", out.String())
			}
		}
	})
}

// BenchmarkPrint measures -nn printing of the lab capture, the cost per
// packet of `netdiag capture -r` and of live text output.
func BenchmarkPrint(b *testing.B) {
	fh, err := os.Open("testdata/lab-ether.pcap")
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	r, err := pcapio.NewReader(fh)
	if err != nil {
		b.Fatal(err)
	}
	var pkts []pcapio.Packet
	for {
		p, err := r.Next()
		if err != nil {
			break
		}
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
	p := NewPrinter(io.Discard, r.LinkType(), Options{NumericHosts: true, NumericPorts: true})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := p.Print(pkts[i%len(pkts)]); err != nil {
			b.Fatal(err)
		}
	}
}
