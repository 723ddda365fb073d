package fleet

import (
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/capture/pcapio"
)

func stream(t *testing.T, iface string, times ...int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pcapio.NewPcapngWriter(&b, []pcapio.Interface{{Name: iface, LinkType: pcapio.LinkTypeEthernet}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range times {
		w.WritePacket(pcapio.Packet{Timestamp: time.Unix(1700000000, 0).Add(time.Duration(s) * time.Millisecond), Data: []byte(iface)})
	}
	w.Flush()
	return b.Bytes()
}

func TestMerger(t *testing.T) {
	var out bytes.Buffer
	m := NewMerger(&out, "clock offsets: n1 +0s, n2 +1ms", []HostName{
		{netip.MustParseAddr("198.19.0.5"), "web-1.nd-e2e"}, {netip.MustParseAddr("2002:c613::5"), "web-1.nd-e2e"}})
	var started []string
	n1 := m.Source("n1", "pod nd-e2e/web-1", ClockOffset{})
	n2 := m.Source("n2", "pod nd-e2e/web-2", ClockOffset{Offset: time.Millisecond})
	if err := n1.Copy(bytes.NewReader(stream(t, "vethA", 1, 5, 9)), func() { started = append(started, "n1") }); err != nil {
		t.Fatal(err)
	}
	if err := n2.Copy(bytes.NewReader(stream(t, "vethB", 2, 3, 10)), func() { started = append(started, "n2") }); err != nil {
		t.Fatal(err)
	}
	// A stream cut in the middle of a block ends quietly.
	cut := stream(t, "vethC", 4)
	if err := m.Source("n2", "x", ClockOffset{}).Copy(bytes.NewReader(cut[:len(cut)-3]), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(time.Now(), true); err != nil {
		t.Fatal(err)
	}
	file := append([]byte(nil), out.Bytes()...)
	r, err := pcapio.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Interface(p.InterfaceIndex).Name+":"+p.Timestamp.Format(".000"))
	}
	want := []string{"n1/vethA:.001", "n2/vethB:.002", "n2/vethB:.003", "n1/vethA:.005", "n1/vethA:.009", "n2/vethB:.010"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("packets (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"n1", "n2"}, started); d != "" {
		t.Errorf("started (-want +got):\n%s", d)
	}
	r2, err := pcapio.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	r2.Next()
	if names := r2.(pcapio.NameReader).Names(); len(names) != 2 || names[0].Names[0] != "web-1.nd-e2e" {
		t.Errorf("name resolution records %v, want web-1.nd-e2e for both addresses", names)
	}
}
