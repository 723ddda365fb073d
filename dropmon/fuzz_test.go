package dropmon

import (
	"bytes"
	"os"
	"testing"
)

// Seeds live in testdata/fuzz/FuzzXxx (real records and messages built
// the way the kernel writes them); crashers found by fuzzing stay there.

// FuzzParseFormat: any format file parses or fails cleanly, and a parsed
// format decodes any record without panicking.
func FuzzParseFormat(f *testing.F) {
	for _, name := range []string{"kfree_skb_format_6.18.txt", "kfree_skb_format_5.17_layout.txt", "kfree_skb_format_5.4_layout.txt"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fm, err := ParseFormat(b)
		if err != nil {
			if fm != nil {
				t.Fatal("an error with a format")
			}
			return
		}
		for v := range fm.Reasons {
			if _, ok := fm.ReasonValue(fm.ReasonName(v)); !ok {
				t.Fatalf("reason %d named %q does not map back", v, fm.ReasonName(v))
			}
		}
		_, _ = fm.Decode(b)
		_, _ = fm.Decode(make([]byte, 64))
	})
}

// FuzzDecodeRecord: perf ring records (header, raw size, tracepoint data)
// decode or fail; an error means no drop.
func FuzzDecodeRecord(f *testing.F) {
	fm := readFormat(f, "kfree_skb_format_6.18.txt")
	f.Add(perfSample(record(fm, 0xffffffff81fbee6f, 0x0800, 12)))
	f.Add(perfLost(1, 9))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parsePerfRecord(b)
		if err != nil {
			if r.raw != nil || r.lost != 0 {
				t.Fatal("an error with a result")
			}
			return
		}
		if r.typ != perfRecordSample {
			return
		}
		if !bytes.Contains(b, r.raw) {
			t.Fatal("raw data not from the record")
		}
		d, err := fm.Decode(r.raw)
		if err != nil && d != (Drop{}) {
			t.Fatal("an error with a drop")
		}
	})
}

// FuzzDecodeAlert: NET_DM packet alerts decode or fail; a decoded alert
// always turns into a drop with a reason name.
func FuzzDecodeAlert(f *testing.F) {
	f.Add(packetAlert("NETFILTER_DROP", ethernet(0x0800, ipv4UDP())))
	f.Add(packetAlert("", ipv4UDP()))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAlert(b)
		if err != nil {
			return
		}
		d := a.Drop()
		if d.ReasonName == "" {
			t.Fatal("a drop without a reason name")
		}
		if d.Packet != nil && (!d.Packet.Src.IsValid() || !d.Packet.Dst.IsValid()) {
			t.Fatalf("a packet without addresses: %+v", d.Packet)
		}
	})
}
