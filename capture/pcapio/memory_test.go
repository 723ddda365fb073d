package pcapio

import (
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"strings"
	"testing"
)

// manyInterfaces returns a pcapng section of n Interface Description Blocks,
// each with a name of nameLen bytes, and one packet on the last interface.
func manyInterfaces(n, nameLen int) []byte {
	var b blockBuilder
	b.order = binary.LittleEndian
	var out bytes.Buffer
	b.begin(blockSHB)
	b.u32(byteOrderMagic)
	b.u16(1)
	b.u16(0)
	b.u64(^uint64(0))
	b.endOptions()
	out.Write(b.finish())
	name := strings.Repeat("i", nameLen)
	for i := 0; i < n; i++ {
		b.begin(blockIDB)
		b.u16(uint16(LinkTypeEthernet))
		b.u16(0)
		b.u32(65535)
		b.optString(optIfName, name)
		b.endOptions()
		out.Write(b.finish())
	}
	b.begin(blockEPB)
	b.u32(uint32(n - 1))
	b.u32(0)
	b.u32(1)
	b.u32(4)
	b.u32(4)
	b.u32(0xdeadbeef)
	out.Write(b.finish())
	return out.Bytes()
}

// TestReaderInterfaceBound: the pcapng reader keeps 24 bytes per interface
// plus names up to a budget, and refuses a section of more interfaces than
// a packet can name (issue 18: 3 M interface blocks in a 60 MB file took
// 895 MB, as every block's Interface and its strings were kept).
func TestReaderInterfaceBound(t *testing.T) {
	file := manyInterfaces(100000, 40)
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if p.InterfaceIndex != 99999 || r.NumInterfaces() != 100000 {
		t.Fatalf("packet on interface %d of %d, want 99999 of 100000", p.InterfaceIndex, r.NumInterfaces())
	}
	ng := r.(*pcapngReader)
	if ng.nameBytes > maxNameBytes || len(ng.names) >= 100000 {
		t.Errorf("kept %d names in %d bytes: want at most %d bytes", len(ng.names), ng.nameBytes, maxNameBytes)
	}
	if got := r.Interface(0); got.Name != strings.Repeat("i", 40) || got.LinkType != LinkTypeEthernet || got.SnapLen != 65535 {
		t.Errorf("interface 0 = %+v", got)
	}
	if got := r.Interface(99999); got.Name != "" || got.LinkType != LinkTypeEthernet || got.SnapLen != 65535 {
		t.Errorf("interface 99999 = %+v, want link type and snaplen without the name past the budget", got)
	}
	if got := r.Interface(100000); got != (Interface{}) {
		t.Errorf("interface past the end = %+v, want zero", got)
	}

	r, err = NewReader(bytes.NewReader(manyInterfaces(MaxInterfaces+1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	if err == nil || !strings.Contains(err.Error(), "more than 1048576 interfaces") {
		t.Fatalf("section of %d interfaces: %v, want it refused", MaxInterfaces+1, err)
	}
}

// BenchmarkReadInterfaces reads a section of 1 M interface blocks (40 MB,
// the most a section may have) and reports the heap the reader holds at
// the end (held-MiB).
func BenchmarkReadInterfaces(b *testing.B) {
	file := manyInterfaces(MaxInterfaces, 8)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	var held uint64
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := NewReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		held = max(held, ms.HeapAlloc-min(ms.HeapAlloc, before.HeapAlloc))
		runtime.KeepAlive(r)
	}
	b.ReportMetric(float64(held)/(1<<20), "held-MiB")
}
