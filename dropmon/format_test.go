package dropmon

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readFormat(t testing.TB, name string) *Format {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFormat(b)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return f
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		file                       string
		id                         uint32
		location, protocol, reason Field
		reasons                    int
		names                      map[uint32]string
	}{
		{"kfree_skb_format_6.18.txt", 2310, Field{16, 8}, Field{32, 2}, Field{36, 4}, 128,
			map[uint32]string{2: "NOT_SPECIFIED", 12: "NETFILTER_DROP", 16: "IP_RPFILTER", 40: "TCP_LISTEN_OVERFLOW",
				54: "IP_OUTNOROUTES", 58: "NEIGH_FAILED", 59: "NEIGH_QUEUEFULL", 88: "IP_INNOROUTES", 129: "MAX"}},
		{"kfree_skb_format_5.17_layout.txt", 1380, Field{16, 8}, Field{24, 2}, Field{28, 4}, 7,
			map[uint32]string{0: "NOT_SPECIFIED", 3: "TCP_CSUM"}},
		{"kfree_skb_format_5.4_layout.txt", 1290, Field{16, 8}, Field{24, 2}, Field{}, 0, map[uint32]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := readFormat(t, tt.file)
			if f.ID != tt.id || f.Location != tt.location || f.Protocol != tt.protocol || f.Reason != tt.reason {
				t.Errorf("got id %d location %+v protocol %+v reason %+v", f.ID, f.Location, f.Protocol, f.Reason)
			}
			if len(f.Reasons) != tt.reasons {
				t.Errorf("%d reasons, want %d", len(f.Reasons), tt.reasons)
			}
			for v, n := range tt.names {
				if got := f.ReasonName(v); got != n {
					t.Errorf("ReasonName(%d) = %q, want %q", v, got, n)
				}
			}
		})
	}
}

func TestReasonNames(t *testing.T) {
	f := readFormat(t, "kfree_skb_format_6.18.txt")
	for _, tt := range []struct {
		v    uint32
		name string
	}{
		{12, "NETFILTER_DROP"},
		{500, "REASON_500"},       // a newer kernel's reason
		{3<<16 | 7, "SUBSYS_3:7"}, // a subsystem's own reasons (mac80211, ovs)
	} {
		if got := f.ReasonName(tt.v); got != tt.name {
			t.Errorf("ReasonName(%#x) = %q, want %q", tt.v, got, tt.name)
		}
		if v, ok := f.ReasonValue(tt.name); !ok || v != tt.v {
			t.Errorf("ReasonValue(%q) = %d, %v; want %d", tt.name, v, ok, tt.v)
		}
	}
	for _, in := range []string{"netfilter_drop", " SKB_DROP_REASON_NETFILTER_DROP "} {
		if v, ok := f.ReasonValue(in); !ok || v != 12 {
			t.Errorf("ReasonValue(%q) = %d, %v", in, v, ok)
		}
	}
	if _, ok := f.ReasonValue("NO_SUCH_REASON"); ok {
		t.Error("ReasonValue accepted an unknown name")
	}
	names := f.ReasonNames()
	if names[0] != "NOT_SPECIFIED" || names[len(names)-1] != "MAX" {
		t.Errorf("ReasonNames not in value order: %q … %q", names[0], names[len(names)-1])
	}
}

func TestParseFormatErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/kfree_skb_format_6.18.txt")
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(string) string{
		"no ID":         func(s string) string { return strings.Replace(s, "ID: 2310", "", 1) },
		"bad ID":        func(s string) string { return strings.Replace(s, "ID: 2310", "ID: x", 1) },
		"no location":   func(s string) string { return strings.Replace(s, " location;", " loc;", 1) },
		"no protocol":   func(s string) string { return strings.Replace(s, " protocol;", " proto;", 1) },
		"reason size":   func(s string) string { return strings.Replace(s, "offset:36;\tsize:4;", "offset:36;\tsize:2;", 1) },
		"bad offset":    func(s string) string { return strings.Replace(s, "offset:16;", "offset:-1;", 1) },
		"field no name": func(s string) string { return strings.Replace(s, "field:void * location;", "field:;", 1) },
		"field no size": func(s string) string { return strings.Replace(s, "offset:16;\tsize:8;", "offset:16;", 1) },
	} {
		t.Run(name, func(t *testing.T) {
			f, err := ParseFormat([]byte(edit(string(good))))
			if !errors.Is(err, ErrFormat) || f != nil {
				t.Errorf("got %v, %v; want an ErrFormat", f, err)
			}
		})
	}
}

// record builds a raw kfree_skb record as the kernel writes it for f.
func record(f *Format, loc uint64, proto uint16, reason uint32) []byte {
	size := max(f.Location.Offset+f.Location.Size, f.Protocol.Offset+f.Protocol.Size, f.Reason.Offset+f.Reason.Size)
	b := make([]byte, size)
	binary.NativeEndian.PutUint16(b, uint16(f.ID))
	binary.NativeEndian.PutUint64(b[f.Location.Offset:], loc)
	binary.NativeEndian.PutUint16(b[f.Protocol.Offset:], proto)
	if f.Reason.Size > 0 {
		binary.NativeEndian.PutUint32(b[f.Reason.Offset:], reason)
	}
	return b
}

func TestDecode(t *testing.T) {
	for _, file := range []string{"kfree_skb_format_6.18.txt", "kfree_skb_format_5.17_layout.txt", "kfree_skb_format_5.4_layout.txt"} {
		f := readFormat(t, file)
		raw := record(f, 0xffffffff81fbee6f, 0x0800, 12)
		got, err := f.Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		want := Drop{Location: 0xffffffff81fbee6f, Protocol: 0x0800, Reason: 12}
		if f.Reason.Size == 0 {
			want.Reason = 0
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", file, diff)
		}
		if _, err := f.Decode(raw[:len(raw)-1]); err == nil {
			t.Errorf("%s: a short record decoded", file)
		}
		other := append([]byte(nil), raw...)
		binary.NativeEndian.PutUint16(other, uint16(f.ID+1))
		if _, err := f.Decode(other); err == nil {
			t.Errorf("%s: a record of another event decoded", file)
		}
	}
}

// perfSample wraps raw tracepoint data in a PERF_RECORD_SAMPLE as the
// kernel does for PERF_SAMPLE_RAW: u32 size, data, padded to 8 bytes.
func perfSample(raw []byte) []byte {
	body := 4 + len(raw)
	total := (perfHeaderSize + body + 7) &^ 7
	b := make([]byte, total)
	binary.NativeEndian.PutUint32(b, perfRecordSample)
	binary.NativeEndian.PutUint16(b[6:], uint16(total))
	binary.NativeEndian.PutUint32(b[8:], uint32(total-perfHeaderSize-4))
	copy(b[12:], raw)
	return b
}

func perfLost(id, n uint64) []byte {
	b := make([]byte, perfHeaderSize+16)
	binary.NativeEndian.PutUint32(b, perfRecordLost)
	binary.NativeEndian.PutUint16(b[6:], uint16(len(b)))
	binary.NativeEndian.PutUint64(b[8:], id)
	binary.NativeEndian.PutUint64(b[16:], n)
	return b
}

func TestParsePerfRecord(t *testing.T) {
	f := readFormat(t, "kfree_skb_format_6.18.txt")
	raw := record(f, 0xffffffff82094f49, 0x86dd, 3)
	r, err := parsePerfRecord(perfSample(raw))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Decode(r.raw)
	if err != nil || d.Reason != 3 || d.Protocol != 0x86dd || d.Location != 0xffffffff82094f49 {
		t.Errorf("decoded %+v, %v", d, err)
	}
	r, err = parsePerfRecord(perfLost(1, 42))
	if err != nil || r.typ != perfRecordLost || r.lost != 42 {
		t.Errorf("lost record: %+v, %v", r, err)
	}
	bad := perfSample(raw)
	binary.NativeEndian.PutUint32(bad[8:], 1000) // raw size beyond the record
	if _, err := parsePerfRecord(bad); err == nil {
		t.Error("a sample claiming more raw bytes than it has parsed")
	}
	binary.NativeEndian.PutUint16(bad[6:], 4) // record size below the header
	if _, err := parsePerfRecord(bad); err == nil {
		t.Error("a record smaller than its header parsed")
	}
}
