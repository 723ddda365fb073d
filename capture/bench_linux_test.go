package capture

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/netdiag/netdiag/capture/internal/gen"
	"github.com/netdiag/netdiag/capture/pcapio"
)

// BenchmarkCaptureToFile measures the capture loop writing pcap, per packet.
// The sender runs in the same process; profile with -cpuprofile and look at
// Run's subtree.
func BenchmarkCaptureToFile(b *testing.B) {
	l := newLabB(b)
	h, err := Open(l.netnsB, Options{Interface: l.vethB, Timeout: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	out, err := NewOutput(FileConfig{Path: filepath.Join(b.TempDir(), "b.pcap"), Interfaces: []pcapio.Interface{{LinkType: h.LinkType()}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result, 1)
	go func() {
		res, _ := Run(ctx, []*Handle{h}, RunConfig{}, out.Write)
		done <- res
	}()
	b.ResetTimer()
	if _, err := gen.Send(l.netnsA, gen.Config{Interface: l.vethA, Count: b.N, QdiscBypass: true, MaxDuration: time.Minute}); err != nil {
		b.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	res := <-done
	b.StopTimer()
	out.Close(nil, time.Time{}, time.Time{})
	b.ReportMetric(float64(res.Total().Dropped), "drops")
}
