package analyze

import (
	"bytes"
	"testing"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// FuzzAnalyze feeds arbitrary packets, on every link type, through the whole
// analyzer: it must never panic, whatever the bytes claim.
func FuzzAnalyze(f *testing.F) {
	tr := newTrace(f)
	handshake(tr, 40000)
	tr.tcp(cli, 40000, srv, 80, "PA", 1001, 5001, 100)
	tr.icmpErr("198.18.0.1", cli, 3, 4, 1400, tr.lastIP())
	tr.dns(cli, 5000, srv, 53, query(1, "a.example.", 1))
	for _, p := range tr.pkts {
		f.Add(uint8(0), p.Data)
		f.Add(uint8(3), p.Data[14:])
	}
	lts := []pcapio.LinkType{pcapio.LinkTypeEthernet, pcapio.LinkTypeLinuxSLL, pcapio.LinkTypeLinuxSLL2,
		pcapio.LinkTypeRaw, pcapio.LinkTypeIPv4, pcapio.LinkTypeIPv6, pcapio.LinkTypeNull, pcapio.LinkTypeLoop}
	f.Fuzz(func(t *testing.T, lt uint8, data []byte) {
		a := New(Options{})
		ts := time.Unix(1, 0)
		// Twice, so the second copy looks like a retransmission or an answer.
		for i := 0; i < 2; i++ {
			a.Add(lts[int(lt)%len(lts)], pcapio.Packet{Timestamp: ts, Data: data, CaptureLen: len(data), OrigLen: len(data)})
			ts = ts.Add(6 * time.Second)
		}
		_ = a.Report()
	})
}

// FuzzReadFrom reads arbitrary capture files.
func FuzzReadFrom(f *testing.F) {
	tr := newTrace(f)
	handshake(tr, 40000)
	var buf bytes.Buffer
	w, _ := pcapio.NewPcapWriter(&buf, pcapio.LinkTypeEthernet, 262144, false)
	for _, p := range tr.pkts {
		_ = w.WritePacket(p)
	}
	_ = w.Flush()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := pcapio.NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		a := New(Options{})
		_ = a.ReadFrom(r)
		_ = a.Report()
	})
}
