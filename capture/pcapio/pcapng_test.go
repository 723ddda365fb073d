package pcapio

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// craftBlock builds one pcapng block in the given byte order.
func craftBlock(order byteOrder, typ uint32, body []byte) []byte {
	var b blockBuilder
	b.order = order
	b.begin(typ)
	b.b = append(b.b, body...)
	return append([]byte(nil), b.finish()...)
}

func shb(order byteOrder) []byte {
	body := order.AppendUint32(nil, byteOrderMagic)
	body = order.AppendUint16(body, 1)
	body = order.AppendUint16(body, 0)
	body = order.AppendUint64(body, ^uint64(0))
	return craftBlock(order, blockSHB, body)
}

func idb(order byteOrder, lt LinkType, snap uint32, opts ...[]byte) []byte {
	body := order.AppendUint16(nil, uint16(lt))
	body = order.AppendUint16(body, 0)
	body = order.AppendUint32(body, snap)
	for _, o := range opts {
		body = append(body, o...)
	}
	if len(opts) > 0 {
		body = order.AppendUint32(body, 0)
	}
	return craftBlock(order, blockIDB, body)
}

func opt(order byteOrder, code uint16, v []byte) []byte {
	b := order.AppendUint16(nil, code)
	b = order.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, (4-len(v)%4)%4)...)
}

func pad4(b []byte) []byte { return append(b, make([]byte, (4-len(b)%4)%4)...) }

// TestPcapngBlocks reads what netdiag's writer never produces: several
// sections in different byte orders, simple and obsolete packet blocks,
// binary and offset timestamp resolutions, and blocks to skip.
func TestPcapngBlocks(t *testing.T) {
	le, be := byteOrder(binary.LittleEndian), byteOrder(binary.BigEndian)
	data := []byte{1, 2, 3, 4, 5}
	var f []byte
	// Section 1, little endian: one Ethernet interface with if_tsresol
	// 2^-10 and if_tsoffset 100 s; an SPB; a name resolution block; an EPB.
	f = append(f, shb(le)...)
	f = append(f, idb(le, LinkTypeEthernet, 4, opt(le, optIfTsresol, []byte{0x80 | 10}), opt(le, optIfTsoffset, le.AppendUint64(nil, 100)), opt(le, optIfName, []byte("eth9")))...)
	f = append(f, craftBlock(le, blockSPB, pad4(append(le.AppendUint32(nil, 5), data...)))...)
	f = append(f, craftBlock(le, 4, []byte{0, 0, 0, 0})...)
	epb := le.AppendUint32(nil, 0)
	epb = le.AppendUint32(epb, 0)
	epb = le.AppendUint32(epb, 1024*3+512) // 3.5 s in 2^-10 units
	epb = le.AppendUint32(epb, 5)
	epb = le.AppendUint32(epb, 9)
	epb = append(epb, pad4(data)...)
	f = append(f, craftBlock(le, blockEPB, epb)...)
	// Section 2, big endian: a RAW interface (10^-3 resolution) and an
	// obsolete packet block on it.
	f = append(f, shb(be)...)
	f = append(f, idb(be, LinkTypeRaw, 0, opt(be, optIfTsresol, []byte{3}))...)
	opb := be.AppendUint16(nil, 0)
	opb = be.AppendUint16(opb, 0)
	opb = be.AppendUint32(opb, 0)
	opb = be.AppendUint32(opb, 1500) // 1.5 s
	opb = be.AppendUint32(opb, 3)
	opb = be.AppendUint32(opb, 3)
	opb = append(opb, pad4(append([]byte(nil), data[:3]...))...)
	f = append(f, craftBlock(be, blockObsoletePkt, opb)...)
	f = append(f, craftBlock(be, 0x40000BAD, []byte{9, 9, 9, 9})...)

	rd, err := NewReader(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Interface{{Name: "eth9", LinkType: LinkTypeEthernet, SnapLen: 4}}, Interfaces(rd)); diff != "" {
		t.Errorf("section 1 interfaces (-want +got):\n%s", diff)
	}
	var got []Packet
	for {
		p, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p.Data = append([]byte(nil), p.Data...)
		got = append(got, p)
	}
	want := []Packet{
		{Timestamp: time.Unix(0, 0), CaptureLen: 4, OrigLen: 5, Data: data[:4]},
		{Timestamp: time.Unix(103, 500000000), CaptureLen: 5, OrigLen: 9, Data: data},
		{Timestamp: time.Unix(1, 500000000), CaptureLen: 3, OrigLen: 3, Data: data[:3]},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Interface{{LinkType: LinkTypeRaw}}, Interfaces(rd)); diff != "" {
		t.Errorf("section 2 interfaces (-want +got):\n%s", diff)
	}
}

func TestPcapngErrors(t *testing.T) {
	le := byteOrder(binary.LittleEndian)
	for name, f := range map[string][]byte{
		"packet before IDB": append(shb(le), craftBlock(le, blockEPB, make([]byte, 20))...),
		"no IDB":            shb(le),
		"bad interface": func() []byte {
			f := append(shb(le), idb(le, LinkTypeEthernet, 0)...)
			epb := le.AppendUint32(nil, 7)
			return append(f, craftBlock(le, blockEPB, append(epb, make([]byte, 16)...))...)
		}(),
		"bad length": append(shb(le), 1, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	} {
		rd, err := NewReader(bytes.NewReader(f))
		if err == nil {
			_, err = rd.Next()
		}
		if err == nil || err == io.EOF {
			t.Errorf("%s: got %v, want an error", name, err)
		}
	}
}
