package decode

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
)

// mutated returns copies of the synthesized and recorded packets with a few
// bytes changed and cut at random lengths, from a fixed seed: malformed
// headers of every kind, each printed as tcpdump prints it.
func mutated(t testing.TB, seed uint64, perPacket int) map[pcapio.LinkType][][]byte {
	rng := rand.New(rand.NewPCG(seed, 42))
	out := map[pcapio.LinkType][][]byte{}
	add := func(lt pcapio.LinkType, pkt []byte) {
		for k := 0; k < perPacket; k++ {
			b := append([]byte(nil), pkt...)
			for n := rng.IntN(3) + 1; n > 0 && len(b) > 0; n-- {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
			if rng.IntN(3) == 0 && len(b) > 0 {
				b = b[:rng.IntN(len(b))]
			}
			out[lt] = append(out[lt], b)
		}
	}
	for _, s := range synthesized {
		if s.snap != 0 {
			continue
		}
		for _, p := range s.pkts {
			add(s.lt, p)
		}
	}
	files, _ := filepath.Glob("testdata/lab-*.pcap")
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapio.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			p, err := r.Next()
			if err != nil {
				break
			}
			add(r.LinkType(), append([]byte(nil), p.Data...))
		}
		f.Close()
	}
	return out
}

// TestCompareMutated compares damaged packets with tcpdump.
func TestCompareMutated(t *testing.T) {
	testlab.RequireTool(t, "tcpdump")
	dir := t.TempDir()
	for lt, pkts := range mutated(t, 1, 3) {
		path := filepath.Join(dir, lt.String()+".pcap")
		writeSynth(t, path, synthCapture{lt: lt, pkts: pkts})
		t.Run(lt.String(), func(t *testing.T) {
			t.Parallel()
			compareFile(t, path)
		})
	}
}
