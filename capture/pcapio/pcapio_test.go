package pcapio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/testlab"
)

// Files in testdata (see testdata/README): tcpdump-*.pcap were written by
// tcpdump 4.99.3 in the decode package's lab recorder; editcap-*.pcapng and
// mergecap-2if.pcapng were made from them with Wireshark 4.0's editcap -F
// pcapng and mergecap -F pcapng (the latter has two interfaces with
// different link types).

func readAll(t testing.TB, r io.Reader) (Reader, []Packet, error) {
	t.Helper()
	rd, err := NewReader(r)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var pkts []Packet
	for {
		p, err := rd.Next()
		if err == io.EOF {
			return rd, pkts, nil
		}
		if err != nil {
			return rd, pkts, err
		}
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
}

func samplePackets() []Packet {
	base := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	var pkts []Packet
	for i := 0; i < 50; i++ {
		data := bytes.Repeat([]byte{byte(i)}, 1+i*7)
		p := Packet{Timestamp: base.Add(time.Duration(i) * 1001 * time.Microsecond), CaptureLen: len(data), OrigLen: len(data) + i%3, Data: data}
		pkts = append(pkts, p)
	}
	return pkts
}

func TestPcapRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nano  bool
		order binary.ByteOrder
	}{{"micro-le", false, binary.LittleEndian}, {"nano-le", true, binary.LittleEndian}, {"micro-be", false, binary.BigEndian}, {"nano-be", true, binary.BigEndian}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := newPcapWriter(&buf, LinkTypeLinuxSLL2, 65535, tc.nano, tc.order)
			if err != nil {
				t.Fatal(err)
			}
			in := samplePackets()
			for _, p := range in {
				if err := w.WritePacket(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			rd, got, err := readAll(t, &buf)
			if err != nil {
				t.Fatal(err)
			}
			want := in
			if !tc.nano {
				want = nil
				for _, p := range in {
					p.Timestamp = p.Timestamp.Truncate(time.Microsecond)
					want = append(want, p)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
			wantIf := []Interface{{LinkType: LinkTypeLinuxSLL2, SnapLen: 65535, TsResolNano: tc.nano}}
			if diff := cmp.Diff(wantIf, Interfaces(rd)); diff != "" {
				t.Errorf("interfaces (-want +got):\n%s", diff)
			}
			if rd.LinkType() != LinkTypeLinuxSLL2 || rd.Nanosecond() != tc.nano {
				t.Errorf("LinkType, Nanosecond = %v, %v", rd.LinkType(), rd.Nanosecond())
			}
		})
	}
}

func TestPcapngRoundTrip(t *testing.T) {
	ifaces := []Interface{
		{Name: "eth0", Description: "default/web-1 eth0 pid 1234", LinkType: LinkTypeEthernet, SnapLen: 262144, TsResolNano: true, Filter: "tcp port 80"},
		{Name: "veth1", Description: "host side", LinkType: LinkTypeEthernet, SnapLen: 128},
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(order.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewPcapngWriter(&buf, ifaces, WithApplication("netdiag test"), WithOS("Linux"), WithSectionComment("hello"), WithByteOrder(order))
			if err != nil {
				t.Fatal(err)
			}
			in := samplePackets()
			for i := range in {
				in[i].InterfaceIndex = i % 2
				if i%5 == 0 {
					in[i].Comment = fmt.Sprintf("comment %d", i)
				}
				if i%3 == 0 {
					in[i].Flags = FlagOutbound
				}
				if err := w.WritePacket(in[i]); err != nil {
					t.Fatal(err)
				}
				if i == 20 {
					if err := w.WriteStats(1, 100, 3, in[0].Timestamp, in[i].Timestamp); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			rd, got, err := readAll(t, &buf)
			if err != nil {
				t.Fatal(err)
			}
			var want []Packet
			for _, p := range in {
				if p.InterfaceIndex == 1 {
					p.Timestamp = p.Timestamp.Truncate(time.Microsecond)
					if len(p.Data) > 128 {
						p.Data = p.Data[:128]
						p.CaptureLen = 128
					}
				}
				want = append(want, p)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(ifaces, Interfaces(rd)); diff != "" {
				t.Errorf("interfaces (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTruncatedFile cuts files anywhere: every complete packet is returned,
// then an error wrapping io.ErrUnexpectedEOF (never a panic, never a packet
// with garbage).
func TestTruncatedFile(t *testing.T) {
	for _, name := range []string{"tcpdump-nano.pcap", "editcap-ether.pcapng"} {
		full, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		_, all, err := readAll(t, bytes.NewReader(full))
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{len(full) - 1, len(full) - 17, len(full) / 2, 300} {
			rd, err := NewReader(bytes.NewReader(full[:cut]))
			if err != nil {
				t.Fatalf("%s cut at %d: %v", name, cut, err)
			}
			n := 0
			for {
				p, err := rd.Next()
				if err != nil {
					var te *TruncatedError
					if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.As(err, &te) {
						t.Errorf("%s cut at %d: after %d packets got %v, want a *TruncatedError", name, cut, n, err)
					}
					break
				}
				if !bytes.Equal(p.Data, all[n].Data) {
					t.Fatalf("%s cut at %d: packet %d differs", name, cut, n)
				}
				n++
			}
			if n == 0 || n >= len(all) {
				t.Errorf("%s cut at %d: read %d of %d packets", name, cut, n, len(all))
			}
		}
	}
	full, _ := os.ReadFile("testdata/tcpdump-nano.pcap")
	first := 24 + 16 + int(binary.LittleEndian.Uint32(full[32:]))
	rd, _ := NewReader(bytes.NewReader(full[:first+10]))
	rd.Next()
	if _, err := rd.Next(); err == nil || err.Error() != "truncated dump file; tried to read 16 header bytes, only got 10" {
		t.Errorf("libpcap wording: got %v", err)
	}
	if _, err := NewReader(bytes.NewReader(nil)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := NewReader(strings.NewReader("hello world, not a capture")); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("text file: %v", err)
	}
}

// tcpdumpTimes runs `tcpdump -tt -nn --time-stamp-precision=nano -r FILE`
// and returns the timestamp and the rest of each line.
func tcpdumpTimes(t *testing.T, file string) []string {
	t.Helper()
	out, err := exec.Command("tcpdump", "-tt", "-nn", "--time-stamp-precision=nano", "-r", file).Output()
	if err != nil {
		t.Fatalf("tcpdump -r %s: %v", file, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var ts []string
	for _, l := range lines {
		if l != "" && l[0] >= '0' && l[0] <= '9' {
			ts = append(ts, strings.Fields(l)[0])
		}
	}
	return ts
}

func epochNano(ts time.Time) string {
	return fmt.Sprintf("%d.%09d", ts.Unix(), ts.Nanosecond())
}

// TestReadToolFiles reads files written by tcpdump, editcap and mergecap and
// checks timestamps and lengths against tshark's view of the same files.
func TestReadToolFiles(t *testing.T) {
	testlab.RequireTool(t, "tshark")
	files, _ := filepath.Glob("testdata/*.pcap*")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rd, pkts, err := readAll(t, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pkts {
				got = append(got, fmt.Sprintf("%d %s %d %d", p.InterfaceIndex, epochNano(p.Timestamp), p.OrigLen, p.CaptureLen))
			}
			want := tsharkFields(t, file)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packets (-tshark +netdiag):\n%s", diff)
			}
			if len(Interfaces(rd)) == 0 {
				t.Error("no interfaces")
			}
		})
	}
}

func tsharkFields(t *testing.T, file string) []string {
	t.Helper()
	cmd := exec.Command("tshark", "-r", file, "-T", "fields", "-E", "separator= ",
		"-e", "frame.interface_id", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", file, err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 { // pcap has no interface id
			f = append([]string{"0"}, f...)
		}
		lines = append(lines, strings.Join(f, " "))
	}
	return lines
}

// TestWrittenFilesReadByTools writes pcap (µs, ns, big-endian) and pcapng
// (two interfaces, comments, statistics, big-endian) and requires tcpdump
// and tshark to read back the same packets.
func TestWrittenFilesReadByTools(t *testing.T) {
	testlab.RequireTool(t, "tcpdump", "tshark")
	dir := t.TempDir()
	frame := func(i int) []byte {
		// An Ethernet/IPv4/UDP frame so the tools have something to decode.
		b := make([]byte, 14+20+8+i)
		copy(b, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0})
		binary.BigEndian.PutUint16(b[16:], uint16(20+8+i))
		b[22], b[23] = 64, 17
		copy(b[26:], []byte{198, 18, 0, 1, 198, 18, 0, 2})
		binary.BigEndian.PutUint16(b[34:], 40000)
		binary.BigEndian.PutUint16(b[36:], 9999)
		binary.BigEndian.PutUint16(b[38:], uint16(8+i))
		return b
	}
	base := time.Date(2025, 1, 2, 3, 4, 5, 987654321, time.UTC)
	var in []Packet
	for i := 0; i < 20; i++ {
		in = append(in, Packet{Timestamp: base.Add(time.Duration(i) * 333333 * time.Nanosecond), Data: frame(i), InterfaceIndex: i % 2})
	}
	write := func(name string, mk func(io.Writer) (Writer, error)) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := mk(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range in {
			if err := w.WritePacket(p); err != nil {
				t.Fatal(err)
			}
		}
		if ng, ok := w.(*PcapngWriter); ok {
			if err := ng.WriteStats(0, 20, 0, in[0].Timestamp, in[19].Timestamp); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	single := func(p Packet) Packet { p.InterfaceIndex = 0; return p }
	for i := range in {
		in[i] = single(in[i])
	}
	ifaces := []Interface{{Name: "eth0", Description: "pod eth0", LinkType: LinkTypeEthernet, TsResolNano: true}}
	files := map[string]bool{ // name -> nanosecond
		write("micro.pcap", func(w io.Writer) (Writer, error) { return NewPcapWriter(w, LinkTypeEthernet, 0, false) }): false,
		write("nano.pcap", func(w io.Writer) (Writer, error) { return NewPcapWriter(w, LinkTypeEthernet, 0, true) }):   true,
		write("be.pcap", func(w io.Writer) (Writer, error) {
			return newPcapWriter(w, LinkTypeEthernet, 0, true, binary.BigEndian)
		}): true,
		write("le.pcapng", func(w io.Writer) (Writer, error) { return NewPcapngWriter(w, ifaces, WithApplication("netdiag")) }):      true,
		write("be.pcapng", func(w io.Writer) (Writer, error) { return NewPcapngWriter(w, ifaces, WithByteOrder(binary.BigEndian)) }): true,
		write("micro.pcapng", func(w io.Writer) (Writer, error) {
			return NewPcapngWriter(w, []Interface{{Name: "x", LinkType: LinkTypeEthernet}})
		}): false,
	}
	for file, nano := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var want []string
			for _, p := range in {
				ts := p.Timestamp
				if !nano {
					ts = ts.Truncate(time.Microsecond)
				}
				want = append(want, fmt.Sprintf("0 %s %d %d", epochNano(ts), len(p.Data), len(p.Data)))
			}
			if diff := cmp.Diff(want, tsharkFields(t, file)); diff != "" {
				t.Errorf("tshark (-want +got):\n%s", diff)
			}
			var wantTS []string
			for _, w := range want {
				wantTS = append(wantTS, strings.Fields(w)[1])
			}
			if diff := cmp.Diff(wantTS, tcpdumpTimes(t, file)); diff != "" {
				t.Errorf("tcpdump (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("two-interfaces.pcapng", func(t *testing.T) {
		two := []Interface{{Name: "eth0", LinkType: LinkTypeEthernet, TsResolNano: true}, {Name: "veth9", Description: "host side", LinkType: LinkTypeEthernet}}
		path := filepath.Join(dir, "two.pcapng")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := NewPcapngWriter(f, two)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i, p := range in {
			p.InterfaceIndex = i % 2
			p.Comment = fmt.Sprintf("pkt %d", i)
			if err := w.WritePacket(p); err != nil {
				t.Fatal(err)
			}
			ts := p.Timestamp
			if p.InterfaceIndex == 1 {
				ts = ts.Truncate(time.Microsecond)
			}
			want = append(want, fmt.Sprintf("%d %s %s pkt %d", p.InterfaceIndex, two[p.InterfaceIndex].Name, epochNano(ts), i))
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-E", "separator= ", "-e", "frame.interface_id", "-e", "frame.interface_name", "-e", "frame.time_epoch", "-e", "frame.comment").Output()
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSpace(string(out)), "\n")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tshark (-want +got):\n%s", diff)
		}
	})
}

// TestWriteNoAllocs guards the capture engine's hot path.
func TestWriteNoAllocs(t *testing.T) {
	p := Packet{Timestamp: time.Now(), Data: make([]byte, 64), Comment: "c", Flags: FlagInbound}
	pw, _ := NewPcapWriter(io.Discard, LinkTypeEthernet, 0, true)
	if n := testing.AllocsPerRun(1000, func() { _ = pw.WritePacket(p) }); n != 0 {
		t.Errorf("PcapWriter.WritePacket allocates %v times per packet", n)
	}
	nw, _ := NewPcapngWriter(io.Discard, []Interface{{LinkType: LinkTypeEthernet}})
	if n := testing.AllocsPerRun(1000, func() { _ = nw.WritePacket(p) }); n != 0 {
		t.Errorf("PcapngWriter.WritePacket allocates %v times per packet", n)
	}
}

func BenchmarkPcapWrite(b *testing.B) {
	w, _ := NewPcapWriter(io.Discard, LinkTypeEthernet, 0, false)
	p := Packet{Timestamp: time.Now(), Data: make([]byte, 64)}
	b.ReportAllocs()
	b.SetBytes(64 + 16)
	for b.Loop() {
		_ = w.WritePacket(p)
	}
}

func BenchmarkPcapngWrite(b *testing.B) {
	w, _ := NewPcapngWriter(io.Discard, []Interface{{LinkType: LinkTypeEthernet, TsResolNano: true}})
	p := Packet{Timestamp: time.Now(), Data: make([]byte, 64)}
	b.ReportAllocs()
	b.SetBytes(64 + 32)
	for b.Loop() {
		_ = w.WritePacket(p)
	}
}

func BenchmarkPcapRead(b *testing.B) {
	var buf bytes.Buffer
	w, _ := NewPcapWriter(&buf, LinkTypeEthernet, 0, false)
	p := Packet{Timestamp: time.Now(), Data: make([]byte, 64)}
	for i := 0; i < 10000; i++ {
		_ = w.WritePacket(p)
	}
	_ = w.Flush()
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, _ := NewReader(bytes.NewReader(data))
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}

// FuzzReader feeds arbitrary bytes to both readers: an error or io.EOF ends
// the stream, never a panic, and packet data always fits the record.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.pcap*")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 2048)])
	}
	f.Add(namesFile(f, []Name{
		{Addr: netip.MustParseAddr("198.18.0.10"), Names: []string{"web-1.default", "web"}},
		{Addr: netip.MustParseAddr("2002:c612::a"), Names: []string{"web-1.default"}},
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			p, err := r.Next()
			if err != nil {
				return
			}
			if p.CaptureLen != len(p.Data) || len(p.Data) > len(data) {
				t.Fatalf("packet %d: CaptureLen %d, len(Data) %d, file %d bytes", i, p.CaptureLen, len(p.Data), len(data))
			}
			if p.InterfaceIndex >= len(Interfaces(r)) {
				t.Fatalf("packet %d: interface %d of %d", i, p.InterfaceIndex, len(Interfaces(r)))
			}
			if nr, ok := r.(NameReader); ok {
				for _, n := range nr.Names() {
					if !n.Addr.IsValid() || len(n.Names) == 0 {
						t.Fatalf("name record %v without an address or a name", n)
					}
				}
			}
		}
	})
}

// TestLinkTypeNames checks the names against tcpdump 4.99.3's
// "reading from file F, link-type NAME (DESCRIPTION), ..." line.
func TestLinkTypeNames(t *testing.T) {
	want := map[LinkType]string{
		LinkTypeEthernet:  "EN10MB (Ethernet)",
		LinkTypeLinuxSLL:  "LINUX_SLL (Linux cooked v1)",
		LinkTypeLinuxSLL2: "LINUX_SLL2 (Linux cooked v2)",
		LinkTypeRaw:       "RAW (Raw IP)",
		LinkTypeIPv4:      "IPV4 (Raw IPv4)",
		LinkTypeIPv6:      "IPV6 (Raw IPv6)",
		LinkTypeNull:      "NULL (BSD loopback)",
		LinkTypeLoop:      "LOOP (OpenBSD loopback)",
		LinkType(147):     "LINKTYPE_147 (LINKTYPE_147)",
	}
	for lt, w := range want {
		if got := lt.String() + " (" + lt.Description() + ")"; got != w {
			t.Errorf("%d: got %q, want %q", uint32(lt), got, w)
		}
		if lt != 147 {
			if p, err := ParseLinkType(strings.ToLower(lt.String())); err != nil || p != lt {
				t.Errorf("ParseLinkType(%q) = %v, %v", lt.String(), p, err)
			}
		}
	}
	if _, err := ParseLinkType("FDDI"); err == nil {
		t.Error("ParseLinkType(FDDI) succeeded")
	}
}
