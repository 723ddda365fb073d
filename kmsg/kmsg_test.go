package kmsg

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRecord(t *testing.T) {
	got, err := ParseRecord([]byte("4,10424,1019077956,-;nf_conntrack: nf_conntrack: table full, dropping packet\n SUBSYSTEM=net"))
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Priority: 4, Seq: 10424, Since: 1019077956 * time.Microsecond, Message: "nf_conntrack: nf_conntrack: table full, dropping packet"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if r, _ := ParseRecord([]byte(`6,1,2,-;a\x7fb`)); r.Message != "a\x7fb" {
		t.Errorf("unescape: %q", r.Message)
	}
	for _, bad := range []string{"", "no semicolon", "x,1,2,-;m", "1,2;m"} {
		if _, err := ParseRecord([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestScan(t *testing.T) {
	boot := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := boot.Add(10 * time.Hour)
	in := &recordReader{end: io.EOF, recs: []string{
		"4,1,1000000,-;nf_conntrack: nf_conntrack: table full, dropping packet", // 1 s after boot: outside a 1 h window
		"6,2,35000000000,-;cbr0: port 1(veth1) entered forwarding state",
		"4,3,35100000000,-;nf_conntrack: nf_conntrack: table full, dropping packet",
		"4,4,35200000000,-;nf_conntrack: nf_conntrack: table full, dropping packet",
		"0,5,35300000000,-;unregister_netdevice: waiting for eth0 to become free. Usage count = 1",
		"garbage",
	}}
	got, err := scan(in, boot, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Kind: "conntrack-table-full", Count: 2, Last: boot.Add(35200 * time.Second), LastLine: "nf_conntrack: nf_conntrack: table full, dropping packet"},
		{Kind: "netdev-refcount", Count: 1, Last: boot.Add(35300 * time.Second), LastLine: "unregister_netdevice: waiting for eth0 to become free. Usage count = 1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestScanDevKmsg reads the real ring buffer: it must end, not block.
func TestScanDevKmsg(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		t.Skip("no /dev/kmsg")
	}
	if _, err := Scan("/dev/kmsg", 0); err != nil && os.Geteuid() == 0 {
		t.Fatal(err)
	}
}

// TestRecordsDevKmsg reads the real ring buffer record by record: it must
// end, not block, and give the records in order.
func TestRecordsDevKmsg(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		t.Skip("no /dev/kmsg")
	}
	var last uint64
	n := 0
	err := Records("/dev/kmsg", 0, func(r Record) {
		if n > 0 && r.Seq <= last {
			t.Errorf("record %d after %d", r.Seq, last)
		}
		last = r.Seq
		n++
	})
	if err != nil && os.Geteuid() == 0 {
		t.Fatal(err)
	}
	if err == nil && n == 0 {
		t.Error("no records in the kernel log")
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte("4,10424,1019077956,-;nf_conntrack: table full, dropping packet\n SUBSYSTEM=net"))
	f.Add([]byte(`6,1,2,-;a\x7fb\x`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecord(b)
		if err != nil && r != (Record{}) {
			t.Fatalf("error with a result: %v %+v", err, r)
		}
		_, _ = scan(bytes.NewReader(b), time.Unix(0, 0), time.Unix(1e9, 0), time.Hour)
	})
}
