// Command ndhostile writes the capture files of issue 18's memory findings,
// for scripts/bench.sh: a pcapng section of N interface blocks and one
// packet (-idb N), or a pcap of N SYNs, each a new connection nobody
// answers (-syn N).
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

func main() {
	idb := flag.Int("idb", 0, "write a pcapng of this many interface description blocks")
	syn := flag.Int("syn", 0, "write a pcap of this many unanswered SYNs")
	out := flag.String("o", "", "output file")
	flag.Parse()
	if err := run(*idb, *syn, *out); err != nil {
		fmt.Fprintln(os.Stderr, "ndhostile:", err)
		os.Exit(1)
	}
}

func run(idb, syn int, out string) error {
	if out == "" || (idb > 0) == (syn > 0) {
		return fmt.Errorf("give -o FILE and one of -idb N, -syn N")
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	if idb > 0 {
		// The smallest blocks there are: a 28-byte section header, 20-byte
		// interface descriptions without options, one 36-byte packet.
		le := binary.LittleEndian
		shb := le.AppendUint32(nil, 0x0A0D0D0A)
		shb = le.AppendUint32(shb, 28)
		shb = le.AppendUint32(shb, 0x1A2B3C4D)
		shb = le.AppendUint16(shb, 1)
		shb = le.AppendUint16(shb, 0)
		shb = le.AppendUint64(shb, ^uint64(0))
		shb = le.AppendUint32(shb, 28)
		w.Write(shb)
		var b []byte
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, 20)
		b = le.AppendUint16(b, uint16(pcapio.LinkTypeEthernet))
		b = le.AppendUint16(b, 0)
		b = le.AppendUint32(b, 65535)
		b = le.AppendUint32(b, 20)
		for i := 0; i < idb; i++ {
			w.Write(b)
		}
		var p []byte
		for _, v := range []uint32{6, 36, 0, 0, 1, 4, 4, 0xdeadbeef, 36} {
			p = le.AppendUint32(p, v)
		}
		w.Write(p)
		return w.Flush()
	}
	pw, err := pcapio.NewPcapWriter(w, pcapio.LinkTypeEthernet, 262144, false)
	if err != nil {
		return err
	}
	frame := make([]byte, 54)
	copy(frame, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6})
	copy(frame[30:], []byte{198, 19, 0, 1})
	binary.BigEndian.PutUint16(frame[36:], 443)
	frame[46], frame[47] = 0x50, 0x02
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < syn; i++ {
		copy(frame[26:], []byte{198, 18, byte(i >> 16), byte(i >> 8)})
		binary.BigEndian.PutUint16(frame[34:], uint16(1024+i%60000))
		binary.BigEndian.PutUint32(frame[38:], uint32(i)*7919)
		if err := pw.WritePacket(pcapio.Packet{Timestamp: start.Add(time.Duration(i) * 20 * time.Microsecond), Data: frame}); err != nil {
			return err
		}
	}
	if err := pw.Flush(); err != nil {
		return err
	}
	return w.Flush()
}
