package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/netdiag/netdiag/analyze"
	"github.com/netdiag/netdiag/capture/pcapio"
)

// savefileOpts are the printer flag sets whose output differs: -nn, -v,
// -vv with -e, -x, and -vvv -e -XX -tt.
var savefileOpts = []Options{
	{NumericHosts: true, NumericPorts: true},
	{NumericHosts: true, NumericPorts: true, Verbose: 1},
	{NumericHosts: true, NumericPorts: true, Verbose: 2, LinkHeader: true},
	{NumericHosts: true, NumericPorts: true, Hex: 1},
	{Verbose: 3, LinkHeader: true, ASCII: 2, TimeFormat: TimeEpoch},
}

// savefile writes packets as a pcap of link type lt.
func savefile(tb testing.TB, lt pcapio.LinkType, pkts ...[]byte) []byte {
	var b bytes.Buffer
	w, err := pcapio.NewPcapWriter(&b, lt, 262144, false)
	if err != nil {
		tb.Fatal(err)
	}
	for i, p := range pkts {
		if err := w.WritePacket(pcapio.Packet{Timestamp: time.Unix(1700000000, int64(i)*1000), Data: p}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// savefileSeeds are savefiles of every link type netdiag reads: packets of
// the lab captures (EN10MB, LINUX_SLL, LINUX_SLL2) and their IP datagrams
// (RAW, IPV4, IPV6), a pcapng with Ethernet, SLL and SLL2 interfaces and a
// second section, and the packets of issue 18 that crashed -v.
func savefileSeeds(tb testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	var eth, sll, sll2, v6 [][]byte
	for name, dst := range map[string]*[][]byte{"lab-ether.pcap": &eth, "lab-sll.pcap": &sll, "lab-sll2.pcap": &sll2} {
		f, err := os.Open("testdata/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		r, err := pcapio.NewReader(f)
		if err != nil {
			tb.Fatal(err)
		}
		for i := 0; ; i++ {
			p, err := r.Next()
			if err != nil {
				break
			}
			// Every 20th packet: a mix of protocols, small enough to mutate.
			if i%20 == 0 && len(*dst) < 8 {
				*dst = append(*dst, append([]byte(nil), p.Data...))
			}
			if dst == &eth && len(p.Data) > 14 && binary.BigEndian.Uint16(p.Data[12:]) == 0x86dd && len(v6) < 3 {
				v6 = append(v6, append([]byte(nil), p.Data...))
			}
		}
		f.Close()
	}
	eth = append(eth, v6...)
	seeds["EN10MB"] = savefile(tb, pcapio.LinkTypeEthernet, eth...)
	seeds["LINUX_SLL"] = savefile(tb, pcapio.LinkTypeLinuxSLL, sll...)
	seeds["LINUX_SLL2"] = savefile(tb, pcapio.LinkTypeLinuxSLL2, sll2...)
	var ip4, ip6 [][]byte
	for _, p := range eth {
		switch binary.BigEndian.Uint16(p[12:]) {
		case 0x0800:
			ip4 = append(ip4, p[14:])
		case 0x86dd:
			ip6 = append(ip6, p[14:])
		}
	}
	seeds["RAW"] = savefile(tb, pcapio.LinkTypeRaw, append(append([][]byte{}, ip4...), ip6...)...)
	seeds["IPV4"] = savefile(tb, pcapio.LinkTypeIPv4, ip4...)
	seeds["IPV6"] = savefile(tb, pcapio.LinkTypeIPv6, ip6...)

	// Issue 18: an unknown ICMP type with a 2- or 3-byte body crashed -v.
	icmp2 := ipv4(ipA, ipB, 1, []byte{0x31, 0x80}, ip4opt{id: 99})
	icmp3 := ipv4(ipA, ipB, 1, []byte{0x31, 0x80, 0}, ip4opt{id: 99})
	seeds["RAW-icmp-short-body"] = savefile(tb, pcapio.LinkTypeRaw, icmp2, icmp3)

	var ng bytes.Buffer
	w, err := pcapio.NewPcapngWriter(&ng, []pcapio.Interface{{Name: "eth0", LinkType: pcapio.LinkTypeEthernet}, {Name: "any", LinkType: pcapio.LinkTypeLinuxSLL}})
	if err != nil {
		tb.Fatal(err)
	}
	ts := time.Unix(1700000000, 0)
	for i := 0; i < 4; i++ {
		_ = w.WritePacket(pcapio.Packet{Timestamp: ts, Data: eth[i], Flags: pcapio.FlagInbound})
		_ = w.WritePacket(pcapio.Packet{Timestamp: ts, Data: sll[i], InterfaceIndex: 1, Flags: pcapio.FlagOutbound, Comment: "c"})
	}
	if _, err := w.AddInterface(pcapio.Interface{Name: "lo", LinkType: pcapio.LinkTypeLinuxSLL2}); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		_ = w.WritePacket(pcapio.Packet{Timestamp: ts, Data: sll2[i], InterfaceIndex: 2})
	}
	_ = w.Flush()
	w2, err := pcapio.NewPcapngWriter(&ng, []pcapio.Interface{{Name: "raw", LinkType: pcapio.LinkTypeRaw, TsResolNano: true}})
	if err != nil {
		tb.Fatal(err)
	}
	_ = w2.WritePacket(pcapio.Packet{Timestamp: ts, Data: icmp2})
	_ = w2.WritePacket(pcapio.Packet{Timestamp: ts, Data: icmp3})
	_ = w2.Flush()
	seeds["pcapng-multi"] = ng.Bytes()

	// The synthesized families, so the fuzzer starts inside their printers.
	for _, fam := range synthFamilies {
		for _, c := range fam {
			if c.snap == 0 {
				seeds[c.name] = savefile(tb, c.lt, c.pkts...)
			}
		}
	}
	return seeds
}

// FuzzSavefile reads mutated savefiles of every link type as `capture -r`
// does (one printer per interface and section, the interface's link type)
// with each flag set, and feeds them to analyze: never a panic or a printer
// bug (*DecodeError), every packet's output ends its line. Issue 18's
// crash went past FuzzPrint, which never saw a whole file.
func FuzzSavefile(f *testing.F) {
	for _, b := range savefileSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		r, err := pcapio.NewReader(bytes.NewReader(file))
		if err != nil {
			return
		}
		type key struct{ section, iface int }
		type rec struct {
			k  key
			lt pcapio.LinkType
			p  pcapio.Packet
		}
		var pkts []rec
		for len(pkts) < 1000 {
			p, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) && p.Data != nil {
					t.Fatalf("an error with a packet: %v", err)
				}
				break
			}
			p.Data = append([]byte(nil), p.Data...)
			pkts = append(pkts, rec{key{r.Section(), p.InterfaceIndex}, r.Interface(p.InterfaceIndex).LinkType, p})
		}
		for _, o := range savefileOpts {
			o.Location = time.UTC
			printers := map[key]*Printer{}
			var out bytes.Buffer
			for i, x := range pkts {
				pr := printers[x.k]
				if pr == nil {
					pr = NewPrinter(&out, x.lt, o)
					printers[x.k] = pr
				}
				if err := pr.Print(x.p); err != nil {
					t.Fatalf("packet %d (%v), %+v: %v", i+1, x.lt, o, err)
				}
				if err := pr.Flush(); err != nil {
					t.Fatal(err)
				}
				if out.Len() == 0 || out.Bytes()[out.Len()-1] != '\n' {
					t.Fatalf("packet %d: output does not end its line: %q", i+1, out.Bytes()[max(0, out.Len()-200):])
				}
			}
		}
		a := analyze.New(analyze.Options{})
		for _, x := range pkts {
			a.Add(x.lt, x.p)
		}
		_ = a.Report()
	})
}

// TestSavefileSeedsCoverLinkTypes: FuzzSavefile starts from a valid file of
// each link type.
func TestSavefileSeedsCoverLinkTypes(t *testing.T) {
	want := map[pcapio.LinkType]bool{pcapio.LinkTypeEthernet: true, pcapio.LinkTypeLinuxSLL: true, pcapio.LinkTypeLinuxSLL2: true,
		pcapio.LinkTypeRaw: true, pcapio.LinkTypeIPv4: true, pcapio.LinkTypeIPv6: true}
	for name, b := range savefileSeeds(t) {
		r, err := pcapio.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n, ifaces := 0, 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			n++
			ifaces = max(ifaces, r.NumInterfaces())
		}
		if n == 0 {
			t.Errorf("%s: no packets", name)
		}
		if name == "pcapng-multi" && (ifaces < 3 || r.Section() != 2) {
			t.Errorf("%s: %d interfaces in %d sections, want 3 and 2", name, ifaces, r.Section())
		}
		delete(want, r.LinkType())
	}
	if len(want) != 0 {
		t.Errorf("no seed of link types %v", want)
	}
}
