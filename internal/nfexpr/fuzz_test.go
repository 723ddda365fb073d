package nfexpr

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds one NFTA_LIST_ELEM (untrusted kernel bytes) to Decode.
// Invariants: no panic; an error leaves no kind; data slices point into
// the input.
func FuzzDecode(f *testing.F) {
	// immediate: verdict goto "x".
	f.Add([]byte("\x0e\x00\x01\x00immediate\x00\x00\x00\x24\x00\x02\x80\x08\x00\x01\x00\x00\x00\x00\x00\x18\x00\x02\x80\x14\x00\x02\x80\x08\x00\x01\x00\xff\xff\xff\xfc\x06\x00\x02\x00x\x00\x00\x00"))
	// cmp: reg 1 == 0x06.
	f.Add([]byte("\x08\x00\x01\x00cmp\x00\x20\x00\x02\x80\x08\x00\x01\x00\x00\x00\x00\x01\x08\x00\x02\x00\x00\x00\x00\x00\x0c\x00\x03\x80\x05\x00\x01\x00\x06\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Expr
		if err := Decode(b, &e); err != nil {
			if e.Kind != Other || e.HasData {
				t.Fatalf("error %v with kind %d", err, e.Kind)
			}
			return
		}
		for _, d := range [][]byte{e.Data, e.Data2} {
			if len(d) > 0 && !bytes.Contains(b, d) {
				t.Fatalf("data %x not from the input", d)
			}
		}
		_ = VerdictString(e.Verdict, e.Chain)
	})
}

func TestDecodeSeeds(t *testing.T) {
	var e Expr
	if err := Decode([]byte("\x0e\x00\x01\x00immediate\x00\x00\x00\x24\x00\x02\x80\x08\x00\x01\x00\x00\x00\x00\x00\x18\x00\x02\x80\x14\x00\x02\x80\x08\x00\x01\x00\xff\xff\xff\xfc\x06\x00\x02\x00x\x00\x00\x00"), &e); err != nil {
		t.Fatal(err)
	}
	if e.Kind != Immediate || e.Malformed || !e.HasVerdict || VerdictString(e.Verdict, e.Chain) != "goto x" {
		t.Errorf("immediate: %+v", e)
	}
	if err := Decode([]byte("\x08\x00\x01\x00cmp\x00\x20\x00\x02\x80\x08\x00\x01\x00\x00\x00\x00\x01\x08\x00\x02\x00\x00\x00\x00\x00\x0c\x00\x03\x80\x05\x00\x01\x00\x06\x00\x00\x00"), &e); err != nil {
		t.Fatal(err)
	}
	if e.Kind != Cmp || e.Malformed || e.SReg != 1 || e.Op != 0 || !bytes.Equal(e.Data, []byte{6}) {
		t.Errorf("cmp: %+v", e)
	}
	if err := Decode([]byte{5, 0, 1, 0}, &e); err == nil {
		t.Error("a cut attribute decoded")
	}
}
