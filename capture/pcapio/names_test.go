package pcapio

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// udpFrame is an Ethernet/IPv4/UDP frame from src to dst.
func udpFrame(src, dst netip.Addr) []byte {
	f := make([]byte, 14+20+8)
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 28)
	s, d := src.As4(), dst.As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	binary.BigEndian.PutUint16(ip[20:], 40000)
	binary.BigEndian.PutUint16(ip[22:], 53)
	binary.BigEndian.PutUint16(ip[24:], 8)
	return f
}

func namesFile(t testing.TB, names []Name) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewPcapngWriter(&buf, []Interface{{Name: "eth0", LinkType: LinkTypeEthernet}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddNames(names); err != nil {
		t.Fatal(err)
	}
	frame := udpFrame(netip.MustParseAddr("198.18.0.10"), netip.MustParseAddr("198.18.0.20"))
	if err := w.WritePacket(Packet{Timestamp: time.Unix(1, 0), CaptureLen: len(frame), OrigLen: len(frame), Data: frame}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestNamesRoundTrip(t *testing.T) {
	names := []Name{
		{Addr: netip.MustParseAddr("198.18.0.10"), Names: []string{"web-1.default"}},
		{Addr: netip.MustParseAddr("198.18.0.20"), Names: []string{"dns.kube-system.svc", "kube-dns"}},
		{Addr: netip.MustParseAddr("2002:c612::a"), Names: []string{"web-1.default"}},
	}
	in := append(append([]Name(nil), names...),
		Name{Addr: netip.MustParseAddr("198.18.0.30"), Names: []string{"", "bad\x00name"}}, // nothing left: no record
		Name{Names: []string{"no-address"}})
	b := namesFile(t, in)
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		var buf bytes.Buffer
		w, err := NewPcapngWriter(&buf, []Interface{{Name: "eth0", LinkType: LinkTypeEthernet}}, WithByteOrder(order))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddNames(in); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if order == binary.LittleEndian && !bytes.Equal(buf.Bytes(), b[:buf.Len()]) {
			t.Error("the same names wrote different bytes")
		}
		r, err := NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
		nr, ok := r.(NameReader)
		if !ok {
			t.Fatal("a pcapng reader is not a NameReader")
		}
		if diff := cmp.Diff(names, nr.Names(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("%v: names (-want +got):\n%s", order, diff)
		}
	}
}

// TestNamesManyBlocks: more names than one block holds go into several.
func TestNamesManyBlocks(t *testing.T) {
	var names []Name
	for i := 0; i < 5000; i++ {
		a := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		names = append(names, Name{Addr: a, Names: []string{strings.Repeat("x", 20) + a.String()}})
	}
	b := namesFile(t, names)
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	if got := r.(NameReader).Names(); len(got) != len(names) || got[4999].Names[0] != names[4999].Names[0] {
		t.Errorf("read %d names, want %d", len(got), len(names))
	}
	if n := bytes.Count(b, []byte{blockNRB, 0, 0, 0}); n < 2 {
		t.Errorf("%d NRB headers for 5,000 names, want several", n)
	}
}

// TestNamesTshark: Wireshark's reader applies the names.
func TestNamesTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark is not installed (scripts/deps.sh installs it)")
		}
		t.Skip("tshark is not installed")
	}
	file := filepath.Join(t.TempDir(), "names.pcapng")
	if err := os.WriteFile(file, namesFile(t, []Name{
		{Addr: netip.MustParseAddr("198.18.0.10"), Names: []string{"web-1.default"}},
		{Addr: netip.MustParseAddr("198.18.0.20"), Names: []string{"dns.kube-system.svc"}},
	}), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tshark", "-r", file, "-N", "n", "-T", "fields", "-e", "ip.src_host", "-e", "ip.dst_host").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "web-1.default\tdns.kube-system.svc" {
		t.Errorf("tshark -N n shows %q, want the names", got)
	}
}
