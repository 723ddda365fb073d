package dropmon

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeRing is a perf ring in ordinary memory, written as the kernel
// writes: records back to back, wrapping at the end, head advanced after.
type fakeRing struct {
	ring *perfRing
	head uint64
}

func newFakeRing(size int) *fakeRing {
	return &fakeRing{ring: &perfRing{fd: -1, meta: &unix.PerfEventMmapPage{}, data: make([]byte, size)}}
}

func (f *fakeRing) write(rec []byte) {
	size := uint64(len(f.ring.data))
	for i, b := range rec {
		f.ring.data[(f.head+uint64(i))%size] = b
	}
	f.head += uint64(len(rec))
	f.ring.meta.Data_head = f.head
}

func TestRingDrainWraps(t *testing.T) {
	f := readFormat(t, "kfree_skb_format_6.18.txt")
	fr := newFakeRing(256) // a 48-byte sample fits 5 times: the 6th wraps
	var want [][]byte
	var got [][]byte
	collect := func(raw []byte) { got = append(got, append([]byte(nil), raw...)) }
	for round := range 4 {
		for i := range 3 {
			raw := record(f, 0xffffffff81000000+uint64(round*10+i), 0x0800, uint32(i+2))
			want = append(want, raw)
			fr.write(perfSample(raw))
		}
		if round == 2 {
			fr.write(perfLost(7, 5))
		}
		lost, err := fr.ring.drain(collect)
		if err != nil {
			t.Fatal(err)
		}
		if wantLost := map[bool]uint64{true: 5, false: 0}[round == 2]; lost != wantLost {
			t.Errorf("round %d: lost %d, want %d", round, lost, wantLost)
		}
		if fr.ring.meta.Data_tail != fr.head {
			t.Fatalf("round %d: tail %d, head %d: space not handed back", round, fr.ring.meta.Data_tail, fr.head)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i := range want {
		// The raw data is padded to 8 bytes; the record's start is what counts.
		if !bytes.Equal(got[i][:len(want[i])], want[i]) {
			t.Errorf("record %d differs", i)
		}
	}
}

func TestRingDrainCorrupt(t *testing.T) {
	fr := newFakeRing(256)
	rec := perfLost(1, 1)
	rec[6], rec[7] = 2, 0 // size 2: below the header
	fr.write(rec)
	fr.write(perfLost(1, 1))
	if _, err := fr.ring.drain(func([]byte) {}); err == nil {
		t.Error("a record of impossible size read without error")
	}
	if fr.ring.meta.Data_tail != fr.head {
		t.Error("a corrupt ring was not skipped to the head")
	}
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{"0": {0}, "0-3": {0, 1, 2, 3}, "0,2-3,6": {0, 2, 3, 6}} {
		got, err := parseCPUList(in)
		if err != nil || len(got) != len(want) {
			t.Errorf("%q: %v, %v", in, got, err)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%q: %v", in, got)
			}
		}
	}
	for _, bad := range []string{"", "x", "3-1", "-1", "0-99999999"} {
		if got, err := parseCPUList(bad); err == nil {
			t.Errorf("%q parsed as %v", bad, got)
		}
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/run/my\040tracing`); got != "/run/my tracing" {
		t.Errorf("got %q", got)
	}
	if got := unescapeMountinfo(`/a\9b`); got != `/a\9b` {
		t.Errorf("got %q", got)
	}
}
