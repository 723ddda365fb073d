package pcapio

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// writeLog records each Write call the way a file sees write(2)s.
type writeLog struct {
	all   bytes.Buffer
	cuts  []int // offsets where a Write ended
	fail  int   // fail the Write that would pass this many bytes; 0 never
	short bool  // on failure, write part of the data first (a full disk)
}

func (w *writeLog) Write(p []byte) (int, error) {
	if w.fail > 0 && w.all.Len()+len(p) > w.fail {
		n := 0
		if w.short {
			n = w.fail - w.all.Len()
			w.all.Write(p[:n])
		}
		return n, errors.New("no space left on device")
	}
	w.all.Write(p)
	w.cuts = append(w.cuts, w.all.Len())
	return len(p), nil
}

// variedPackets has sizes from 1 byte to more than the write buffer, so
// records straddle every flush point.
func variedPackets() []Packet {
	base := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var pkts []Packet
	for i := 0; i < 400; i++ {
		n := 1 + (i*i*37)%1600
		if i%97 == 0 {
			n = writeBufSize + 1234
		}
		p := Packet{Timestamp: base.Add(time.Duration(i) * time.Millisecond), Data: bytes.Repeat([]byte{byte(i)}, n), InterfaceIndex: i % 2}
		if i%5 == 0 {
			p.Flags = FlagOutbound
		}
		if i%7 == 0 {
			p.Comment = "packet comment"
		}
		pkts = append(pkts, p)
	}
	return pkts
}

// TestWritesEndOnWholeRecords: every Write a writer makes ends on a record
// (pcap) or block (pcapng) boundary, so a file cut between two writes (a
// capture killed with SIGKILL) reads to its end without a truncation error.
// bufio cut blocks at its 64 KiB boundary before (issue 18: pcapng files
// killed with SIGKILL ended in a cut block that tcpdump and tshark refuse).
func TestWritesEndOnWholeRecords(t *testing.T) {
	for _, ng := range []bool{false, true} {
		var log writeLog
		var w interface {
			Writer
			Buffered() int
		}
		if ng {
			nw, err := NewPcapngWriter(&log, []Interface{{Name: "eth0", LinkType: LinkTypeEthernet}}, WithApplication("test"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nw.AddInterface(Interface{Name: "any", LinkType: LinkTypeLinuxSLL2}); err != nil {
				t.Fatal(err)
			}
			w = nw
		} else {
			pw, err := NewPcapWriter(&log, LinkTypeEthernet, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			w = pw
		}
		pkts := variedPackets()
		for i, p := range pkts {
			if !ng {
				p.InterfaceIndex = 0
			}
			if err := w.WritePacket(p); err != nil {
				t.Fatal(err)
			}
			if i%150 == 0 {
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if nw, ok := w.(*PcapngWriter); ok {
			if err := nw.WriteStats(1, 10, 1, time.Unix(1, 0), time.Unix(2, 0)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if len(log.cuts) < 5 {
			t.Fatalf("pcapng=%v: only %d writes; the test needs flushes inside the stream", ng, len(log.cuts))
		}
		all := log.all.Bytes()
		for _, cut := range log.cuts {
			r, err := NewReader(bytes.NewReader(all[:cut]))
			if err != nil {
				t.Fatalf("pcapng=%v: file cut at write boundary %d: %v", ng, cut, err)
			}
			for {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("pcapng=%v: file cut at write boundary %d of %d: %v", ng, cut, len(all), err)
				}
			}
		}
		_, got, err := readAll(t, bytes.NewReader(all))
		if err != nil || len(got) != len(pkts) {
			t.Fatalf("pcapng=%v: read back %d packets (%v), want %d", ng, len(got), err, len(pkts))
		}
	}
}

// TestWriteErrorSticks: after the underlying writer fails, records are not
// written again (a retry would append a second copy after a partial one)
// and the error comes back as the writer gave it, for the caller to name the
// file once.
func TestWriteErrorSticks(t *testing.T) {
	log := writeLog{fail: 3000, short: true}
	w, err := NewPcapWriter(&log, LinkTypeEthernet, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	var first error
	for i := 0; i < 200 && first == nil; i++ {
		first = w.WritePacket(Packet{Timestamp: time.Unix(1, 0), Data: make([]byte, 1000)})
		if first == nil {
			first = w.Flush()
		}
	}
	if first == nil || first.Error() != "no space left on device" {
		t.Fatalf("error %v, want the writer's own error unchanged", first)
	}
	n := log.all.Len()
	if err := w.Flush(); err != first {
		t.Errorf("second Flush: %v, want the same error", err)
	}
	if err := w.WritePacket(Packet{Timestamp: time.Unix(1, 0), Data: make([]byte, 10)}); err != first {
		t.Errorf("WritePacket after the error: %v, want the same error", err)
	}
	if log.all.Len() != n {
		t.Errorf("%d more bytes written after the error", log.all.Len()-n)
	}
}
