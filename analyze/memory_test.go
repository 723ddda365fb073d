package analyze

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// synFlood returns n SYNs from 198.18.x.y ports 1024.. to 198.19.0.1:443,
// each a new connection, none answered: the capture of a server that
// drops every SYN under load.
func synFlood(n int) []pcapio.Packet {
	tmpl := make([]byte, 14+20+20)
	copy(tmpl, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0})
	ip := tmpl[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], 40)
	copy(ip[16:], []byte{198, 19, 0, 1})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[2:], 443)
	tcp[12], tcp[13] = 5<<4, 0x02
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	pkts := make([]pcapio.Packet, n)
	for i := range pkts {
		b := append([]byte(nil), tmpl...)
		b[14+13], b[14+14], b[14+15] = 18, byte(i>>16), byte(i>>8)
		b[14+12] = 198
		binary.BigEndian.PutUint16(b[34:], uint16(1024+i%60000))
		binary.BigEndian.PutUint32(b[38:], uint32(i)*7919)
		pkts[i] = pcapio.Packet{Timestamp: start.Add(time.Duration(i) * 20 * time.Microsecond), Data: b, CaptureLen: len(b), OrigLen: len(b)}
	}
	return pkts
}

// BenchmarkAnalyzeSYNFlood analyzes 500,000 unanswered SYNs (issue 18: 1.28
// GB peak for 35 MB of them) and reports the heap the analyzer holds after
// the packets (held-MiB) and what Report allocates (report-MiB).
func BenchmarkAnalyzeSYNFlood(b *testing.B) {
	pkts := synFlood(500000)
	b.ReportAllocs()
	var held, report float64
	for b.Loop() {
		runtime.GC()
		var m0, m1, m2 runtime.MemStats
		runtime.ReadMemStats(&m0)
		a := New(Options{})
		for _, p := range pkts {
			a.Add(pcapio.LinkTypeEthernet, p)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		r := a.Report()
		runtime.ReadMemStats(&m2)
		if r.TCP.TimedOut != 500000 && r.TCP.Attempts != 500000 {
			b.Fatalf("report: %+v", r.TCP)
		}
		held = max(held, float64(m1.HeapAlloc-min(m1.HeapAlloc, m0.HeapAlloc))/(1<<20))
		report = max(report, float64(m2.TotalAlloc-m1.TotalAlloc)/(1<<20))
		runtime.KeepAlive(a)
	}
	b.ReportMetric(held, "held-MiB")
	b.ReportMetric(report, "report-MiB")
}

// TestAnalyzerBoundsFlows: past Options.MaxFlows new flows and DNS queries
// are counted, not kept, so a flood cannot take the memory of the node
// being debugged (issue 18: 500,000 unanswered SYNs peaked at 1.28 GB).
func TestAnalyzerBoundsFlows(t *testing.T) {
	a := New(Options{MaxFlows: 1000})
	for _, p := range synFlood(5000) {
		a.Add(pcapio.LinkTypeEthernet, p)
	}
	tr := newTrace(t)
	for i := 0; i < 1500; i++ {
		tr.dns(cli, uint16(10000+i), srv, 53, query(uint16(i), fmt.Sprintf("n%d.example.", i), 1))
	}
	for _, p := range tr.pkts {
		a.Add(pcapio.LinkTypeEthernet, p)
	}
	if len(a.flows) > 1000 || len(a.talkers) > 1000 || len(a.dns.queries) > 1000 {
		t.Errorf("tracking %d flows, %d address pairs, %d DNS queries: want at most 1000 each", len(a.flows), len(a.talkers), len(a.dns.queries))
	}
	r := a.Report()
	if r.TCP.Attempts != 1000 || r.PacketsNotTracked != 4000+1500 || r.Packets != 6500 {
		t.Errorf("attempts %d, not tracked %d of %d packets: want 1000 and 5500 of 6500", r.TCP.Attempts, r.PacketsNotTracked, r.Packets)
	}

	// DNS queries on one flow are bounded the same way.
	a = New(Options{MaxFlows: 1000})
	tr = newTrace(t)
	for i := 0; i < 1500; i++ {
		tr.dns(cli, 10000, srv, 53, query(uint16(i), fmt.Sprintf("n%d.example.", i), 1))
	}
	for _, p := range tr.pkts {
		a.Add(pcapio.LinkTypeEthernet, p)
	}
	if r := a.Report(); len(a.dns.queries) != 1000 || r.DNS.Queries != 1000 || r.PacketsNotTracked != 500 {
		t.Errorf("%d DNS queries tracked, %d reported, %d packets not tracked: want 1000, 1000, 500", len(a.dns.queries), r.DNS.Queries, r.PacketsNotTracked)
	}
}
