package capture

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netdiag/netdiag/capture/internal/gen"
	"github.com/netdiag/netdiag/capture/pcapio"
)

// TestCaptureBlockPathMatchesPacketPath: a pcap Output given to Run
// (RunConfig.Output: whole ring blocks at a time) writes the same file,
// as the handler path writing packet by packet, on the same
// traffic seen by two sockets: plain and VLAN-tagged frames (the tag put
// back), frames cut by the snapshot length, a count that ends inside a
// block, and the end of a capture window.
func TestCaptureBlockPathMatchesPacketPath(t *testing.T) {
	l := newLab(t)
	for _, tc := range []struct {
		name  string
		snap  int
		count uint64
		dur   time.Duration
		nano  bool
	}{
		{name: "count", count: 555},
		{name: "snaplen", snap: 100, count: 555, nano: true},
		{name: "window", dur: 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var files [2]string
			var results [2]Result
			done := make(chan int, 2)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			for i := range files {
				h, err := Open(l.netnsB, Options{Interface: l.vethB, Filter: udpPort9(t, 0), SnapLen: tc.snap, Timeout: 20 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				files[i] = filepath.Join(t.TempDir(), "c.pcap")
				out, err := NewOutput(FileConfig{Path: files[i], Nano: tc.nano, Interfaces: []pcapio.Interface{{LinkType: h.LinkType(), SnapLen: uint32(h.SnapLen())}}})
				if err != nil {
					t.Fatal(err)
				}
				cfg := RunConfig{Count: tc.count, Duration: tc.dur}
				var fn Handler
				if i == 0 {
					cfg.Output = out
				} else {
					fn = out.Write
				}
				go func() {
					var err error
					results[i], err = Run(ctx, []*Handle{h}, cfg, fn)
					if err != nil {
						t.Errorf("Run: %v", err)
					}
					if err := out.Close(nil, time.Now(), time.Now()); err != nil {
						t.Error(err)
					}
					done <- i
				}()
			}
			for _, c := range []gen.Config{{}, {VLAN: 100}, {Size: 1400}, {VLAN: 7, Size: 300}, {}} {
				l.send(t, 150, c)
			}
			timeout := time.After(30 * time.Second)
			for range files {
				select {
				case <-done:
				case <-timeout:
					cancel(ErrStopRequested)
					t.Fatal("capture did not stop")
				}
			}
			a, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(files[1])
			if err != nil {
				t.Fatal(err)
			}
			if results[0].Captured != results[1].Captured || !errors.Is(results[0].Reason, results[1].Reason) {
				t.Errorf("block path: %d packets (%v); packet path: %d (%v)", results[0].Captured, results[0].Reason, results[1].Captured, results[1].Reason)
			}
			if tc.count > 0 && results[0].Captured != tc.count {
				t.Errorf("captured %d, want %d", results[0].Captured, tc.count)
			}
			if results[0].Captured == 0 {
				t.Fatal("nothing captured")
			}
			if len(a) != len(b) || !bytes.Equal(a[:24], b[:24]) {
				t.Fatalf("block path: %d bytes, header % x; packet path: %d bytes, header % x", len(a), a[:24], len(b), b[:24])
			}
			// Each socket takes its own timestamp: they differ by the
			// microseconds between the two rings, the rest is equal.
			_, pa := readAll(t, files[0])
			_, pb := readAll(t, files[1])
			if len(pa) != len(pb) {
				t.Fatalf("block path: %d packets, packet path: %d", len(pa), len(pb))
			}
			for i := range pa {
				x, y := pa[i], pb[i]
				if x.CaptureLen != y.CaptureLen || x.OrigLen != y.OrigLen || !bytes.Equal(x.Data, y.Data) {
					t.Fatalf("packet %d: block path %d/%d bytes % x, packet path %d/%d bytes % x", i+1, x.CaptureLen, x.OrigLen, x.Data, y.CaptureLen, y.OrigLen, y.Data)
				}
				if d := x.Timestamp.Sub(y.Timestamp); d < -time.Second || d > time.Second {
					t.Fatalf("packet %d: block path at %v, packet path at %v", i+1, x.Timestamp, y.Timestamp)
				}
			}
		})
	}
}

// TestRunHandlerOrOutput: Run takes a handler or an Output, not both (the
// block path would bypass the handler) and not neither.
func TestRunHandlerOrOutput(t *testing.T) {
	l := newLab(t)
	h, err := Open(l.netnsB, Options{Interface: l.vethB, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	out, err := NewOutput(FileConfig{Path: filepath.Join(t.TempDir(), "c.pcap"), Interfaces: []pcapio.Interface{{LinkType: h.LinkType(), SnapLen: uint32(h.SnapLen())}}})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close(nil, time.Now(), time.Now())
	if _, err := Run(context.Background(), []*Handle{h}, RunConfig{Output: out}, out.Write); err == nil {
		t.Error("Run took both a handler and an Output")
	}
	if _, err := Run(context.Background(), []*Handle{h}, RunConfig{}, nil); err == nil {
		t.Error("Run took neither a handler nor an Output")
	}
}
