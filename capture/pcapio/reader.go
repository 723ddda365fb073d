package pcapio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"time"
	"unsafe"
)

const (
	magicMicro        = 0xa1b2c3d4
	magicNano         = 0xa1b23c4d
	blockSHB          = 0x0A0D0D0A
	blockIDB          = 1
	blockObsoletePkt  = 2
	blockSPB          = 3
	blockISB          = 5
	blockEPB          = 6
	byteOrderMagic    = 0x1A2B3C4D
	optEnd            = 0
	optComment        = 1
	optIfName         = 2
	optIfDescription  = 3
	optIfTsresol      = 9
	optIfFilter       = 11
	optIfTsoffset     = 14
	optEPBFlags       = 2
	optSHBHardware    = 2
	optSHBOS          = 3
	optSHBUserAppl    = 4
	optISBStartTime   = 2
	optISBEndTime     = 3
	optISBIfRecv      = 4
	optISBIfDrop      = 5
	defaultPcapngRes  = 1000000
	pcapRecordHdrSize = 16
)

// NewReader detects the format from the first four bytes and returns a pcap or
// pcapng reader. It reads the pcapng stream up to the first Interface
// Description Block so that LinkType is known.
func NewReader(r io.Reader) (Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(4)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("read file header: file is empty or shorter than a header: %w", io.ErrUnexpectedEOF)
		}
		return nil, fmt.Errorf("read file header: %w", err)
	}
	le := binary.LittleEndian.Uint32(head)
	be := binary.BigEndian.Uint32(head)
	switch {
	case le == magicMicro || le == magicNano:
		return newPcapReader(br, binary.LittleEndian)
	case be == magicMicro || be == magicNano:
		return newPcapReader(br, binary.BigEndian)
	case le == blockSHB:
		return newPcapngReader(br)
	}
	return nil, fmt.Errorf("read file header: %w", ErrUnknownFormat)
}

// readFull reads len(buf) bytes; a partial read is a *TruncatedError, none
// at all is io.EOF.
func readFull(r io.Reader, buf []byte) error {
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || (err == io.EOF && n > 0) {
		return &TruncatedError{Want: len(buf), Got: n}
	}
	return err
}

// TruncatedError is a record cut short at the end of the file, as left by a
// capture killed mid-write. It wraps io.ErrUnexpectedEOF; Error gives
// libpcap's wording, which tcpdump prints after the packets it could read.
type TruncatedError struct {
	Want, Got int
	// What is "header" or "captured" for pcap records, "" for pcapng.
	What string
}

func (e *TruncatedError) Error() string {
	if e.What == "" {
		return fmt.Sprintf("truncated pcapng dump file; tried to read %d bytes, only got %d", e.Want, e.Got)
	}
	return fmt.Sprintf("truncated dump file; tried to read %d %s bytes, only got %d", e.Want, e.What, e.Got)
}

func (e *TruncatedError) Unwrap() error { return io.ErrUnexpectedEOF }

// truncated labels a pcap TruncatedError; other errors pass through.
func truncated(err error, what string) error {
	if te, ok := err.(*TruncatedError); ok {
		te.What = what
		return te
	}
	return err
}

type pcapReader struct {
	r     *bufio.Reader
	order binary.ByteOrder
	iface Interface
	buf   []byte // records larger than the bufio buffer
}

func newPcapReader(r *bufio.Reader, order binary.ByteOrder) (*pcapReader, error) {
	var h [24]byte
	if err := readFull(r, h[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read pcap header: truncated file header: %w", err)
	}
	p := &pcapReader{r: r, order: order}
	p.iface.TsResolNano = order.Uint32(h[0:]) == magicNano
	p.iface.SnapLen = order.Uint32(h[16:])
	// The upper bits hold FCS length and reserved flags (pcap-savefile(5)).
	p.iface.LinkType = LinkType(order.Uint32(h[20:]) & 0x03ffffff)
	return p, nil
}

func (p *pcapReader) NumInterfaces() int { return 1 }
func (p *pcapReader) Section() int       { return 1 }
func (p *pcapReader) LinkType() LinkType { return p.iface.LinkType }
func (p *pcapReader) Nanosecond() bool   { return p.iface.TsResolNano }

func (p *pcapReader) Interface(i int) Interface {
	if i != 0 {
		return Interface{}
	}
	return p.iface
}

func (p *pcapReader) Next() (Packet, error) {
	// Records that fit the buffer are read in place (Peek), without a copy;
	// the previous packet's Data is then no longer valid, as documented.
	hdr, err := p.r.Peek(pcapRecordHdrSize)
	if len(hdr) < pcapRecordHdrSize {
		if err == io.EOF && len(hdr) > 0 {
			err = &TruncatedError{Want: pcapRecordHdrSize, Got: len(hdr)}
		}
		return Packet{}, truncated(err, "header")
	}
	sec := p.order.Uint32(hdr[0:])
	frac := p.order.Uint32(hdr[4:])
	capLen := p.order.Uint32(hdr[8:])
	origLen := p.order.Uint32(hdr[12:])
	if _, err := p.r.Discard(pcapRecordHdrSize); err != nil {
		return Packet{}, truncated(err, "header")
	}
	if capLen > maxRecord {
		return Packet{}, fmt.Errorf("read packet header: invalid capture length %d, bigger than the maximum of %d: file is corrupt", capLen, maxRecord)
	}
	var data []byte
	if int(capLen) <= p.r.Size() {
		d, err := p.r.Peek(int(capLen))
		if len(d) < int(capLen) {
			if err == io.EOF {
				err = &TruncatedError{Want: int(capLen), Got: len(d)}
			}
			return Packet{}, truncated(err, "captured")
		}
		data = d
		_, _ = p.r.Discard(int(capLen))
	} else {
		if cap(p.buf) < int(capLen) {
			p.buf = make([]byte, capLen)
		}
		data = p.buf[:capLen]
		if err := readFull(p.r, data); err != nil {
			if err == io.EOF {
				err = &TruncatedError{Want: int(capLen)}
			}
			return Packet{}, truncated(err, "captured")
		}
	}
	nsec := int64(frac)
	if !p.iface.TsResolNano {
		nsec *= 1000
	}
	return Packet{
		Timestamp:  time.Unix(int64(sec), nsec),
		CaptureLen: int(capLen),
		OrigLen:    int(origLen),
		Data:       data,
	}, nil
}

// ngInterface is what the reader keeps of each interface: 24 bytes.
type ngInterface struct {
	units  uint64 // timestamp units per second
	offset int64  // if_tsoffset seconds
	snap   uint32
	lt     uint16
}

// ngNames are the strings of an interface, kept while the section's budget
// lasts.
type ngNames struct {
	name, description, filter string
}

// ifaceTable holds a section's interfaces in fixed chunks: growing it never
// copies, so a file of a million interface blocks costs its 24 MB and no
// garbage on top.
type ifaceTable struct {
	chunks []*[ifaceChunk]ngInterface
	n      int
}

const ifaceChunk = 4096

func (t *ifaceTable) len() int { return t.n }

func (t *ifaceTable) at(i int) *ngInterface { return &t.chunks[i/ifaceChunk][i%ifaceChunk] }

func (t *ifaceTable) add(x ngInterface) {
	if t.n/ifaceChunk == len(t.chunks) {
		t.chunks = append(t.chunks, new([ifaceChunk]ngInterface))
	}
	*t.at(t.n) = x
	t.n++
}

// reset empties the table for a new section, keeping one chunk.
func (t *ifaceTable) reset() {
	if len(t.chunks) > 1 {
		t.chunks = t.chunks[:1]
	}
	t.n = 0
}

type pcapngReader struct {
	r         *bufio.Reader
	order     binary.ByteOrder
	ifaces    ifaceTable
	names     []ngNames
	nameBytes int
	resolved  []Name // name resolution records
	section   int
	hdr       [8]byte
	buf       []byte
}

func newPcapngReader(r *bufio.Reader) (*pcapngReader, error) {
	p := &pcapngReader{r: r, order: binary.LittleEndian}
	// Read up to the first IDB so LinkType is known before the first packet.
	for p.ifaces.len() == 0 {
		typ, body, err := p.readBlock()
		if err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("read pcapng: no interface description block before the end of the file: %w", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		switch typ {
		case blockEPB, blockSPB, blockObsoletePkt:
			return nil, fmt.Errorf("read pcapng: packet block before any interface description block: file is corrupt")
		case blockIDB:
			if err := p.addInterface(body); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// readBlock returns the next block's type and body (without the type, the
// lengths and the trailer). The body aliases p.buf. Section headers are
// handled here: they reset the interfaces and set the byte order.
func (p *pcapngReader) readBlock() (uint32, []byte, error) {
	if err := readFull(p.r, p.hdr[:]); err != nil {
		return 0, nil, err
	}
	typ := p.order.Uint32(p.hdr[0:])
	if binary.LittleEndian.Uint32(p.hdr[0:]) == blockSHB {
		typ = blockSHB
		// The byte-order magic follows; the block length is in that order.
		bom, err := p.r.Peek(4)
		if err != nil {
			return 0, nil, fmt.Errorf("read pcapng section header: truncated file: %w", io.ErrUnexpectedEOF)
		}
		switch {
		case binary.LittleEndian.Uint32(bom) == byteOrderMagic:
			p.order = binary.LittleEndian
		case binary.BigEndian.Uint32(bom) == byteOrderMagic:
			p.order = binary.BigEndian
		default:
			return 0, nil, fmt.Errorf("read pcapng section header: bad byte-order magic %x: file is corrupt", bom)
		}
	}
	total := p.order.Uint32(p.hdr[4:])
	if total < 12 || total%4 != 0 || total > maxRecord {
		return 0, nil, fmt.Errorf("read pcapng block: invalid block length %d: file is corrupt", total)
	}
	n := int(total) - 8
	if cap(p.buf) < n {
		p.buf = make([]byte, n, max(n, 65536))
	}
	b := p.buf[:n]
	if err := readFull(p.r, b); err != nil {
		if err == io.EOF {
			err = &TruncatedError{Want: n}
		}
		return 0, nil, err
	}
	if p.order.Uint32(b[n-4:]) != total {
		return 0, nil, fmt.Errorf("read pcapng block: trailing length does not match %d: file is corrupt", total)
	}
	body := b[:n-4]
	if typ == blockSHB {
		if len(body) < 16 {
			return 0, nil, fmt.Errorf("read pcapng section header: block too short: file is corrupt")
		}
		if major := p.order.Uint16(body[4:]); major != 1 {
			return 0, nil, fmt.Errorf("read pcapng section header: unsupported major version %d", major)
		}
		p.ifaces.reset()
		p.names, p.nameBytes = nil, 0
		p.section++
	}
	return typ, body, nil
}

// options calls fn for each option in b until opt_endofopt or the end.
func (p *pcapngReader) options(b []byte, fn func(code uint16, val []byte)) {
	for len(b) >= 4 {
		code := p.order.Uint16(b)
		l := int(p.order.Uint16(b[2:]))
		b = b[4:]
		if code == optEnd {
			return
		}
		if l > len(b) {
			return
		}
		fn(code, b[:l])
		pad := (l + 3) &^ 3
		if pad > len(b) {
			return
		}
		b = b[pad:]
	}
}

func (p *pcapngReader) addInterface(body []byte) error {
	if len(body) < 8 {
		return fmt.Errorf("read pcapng interface description: block too short: file is corrupt")
	}
	if p.ifaces.len() >= MaxInterfaces {
		return fmt.Errorf("read pcapng interface description: more than %d interfaces in one section: netdiag reads no more", MaxInterfaces)
	}
	ifc := ngInterface{units: defaultPcapngRes}
	ifc.lt = p.order.Uint16(body)
	ifc.snap = p.order.Uint32(body[4:])
	var name, desc, filter []byte // views of the block until kept
	var bad error
	p.options(body[8:], func(code uint16, v []byte) {
		switch code {
		case optIfName:
			name = v
		case optIfDescription:
			desc = v
		case optIfFilter:
			if len(v) > 1 && v[0] == 0 {
				filter = v[1:]
			}
		case optIfTsoffset:
			if len(v) == 8 {
				ifc.offset = int64(p.order.Uint64(v))
			}
		case optIfTsresol:
			if len(v) < 1 {
				return
			}
			r := v[0]
			var u uint64 = 1
			if r&0x80 != 0 {
				if r&0x7f > 63 {
					bad = fmt.Errorf("read pcapng interface description: if_tsresol 2^-%d is too fine", r&0x7f)
					return
				}
				u <<= r & 0x7f
			} else {
				if r > 19 {
					bad = fmt.Errorf("read pcapng interface description: if_tsresol 10^-%d is too fine", r)
					return
				}
				for range r {
					u *= 10
				}
			}
			ifc.units = u
		}
	})
	if bad != nil {
		return bad
	}
	// Names are kept in order while the budget lasts, then for none of the
	// section's later interfaces.
	cost := int(unsafe.Sizeof(ngNames{})) + len(name) + len(desc) + len(filter)
	if len(p.names) == p.ifaces.len() && p.nameBytes+cost <= maxNameBytes {
		p.names = append(p.names, ngNames{string(name), string(desc), string(filter)})
		p.nameBytes += cost
	}
	p.ifaces.add(ifc)
	return nil
}

func (p *pcapngReader) NumInterfaces() int { return p.ifaces.len() }
func (p *pcapngReader) Section() int       { return p.section }

func (p *pcapngReader) Interface(i int) Interface {
	if i < 0 || i >= p.ifaces.len() {
		return Interface{}
	}
	ifc := p.ifaces.at(i)
	out := Interface{LinkType: LinkType(ifc.lt), SnapLen: ifc.snap, TsResolNano: ifc.units >= 1000000000}
	if i < len(p.names) {
		n := &p.names[i]
		out.Name, out.Description, out.Filter = n.name, n.description, n.filter
	}
	return out
}

func (p *pcapngReader) LinkType() LinkType {
	if p.ifaces.len() == 0 {
		return 0
	}
	return LinkType(p.ifaces.at(0).lt)
}

func (p *pcapngReader) Nanosecond() bool {
	return p.ifaces.len() > 0 && p.ifaces.at(0).units >= 1000000000
}

func (p *pcapngReader) timestamp(ifc *ngInterface, ts uint64) time.Time {
	sec := ts / ifc.units
	frac := ts % ifc.units
	hi, lo := bits.Mul64(frac, 1e9)
	nsec, _ := bits.Div64(hi, lo, ifc.units)
	return time.Unix(int64(sec)+ifc.offset, int64(nsec))
}

func (p *pcapngReader) iface(id uint32) (*ngInterface, error) {
	if int64(id) >= int64(p.ifaces.len()) {
		return nil, fmt.Errorf("read pcapng packet: interface ID %d is not described in this section: file is corrupt", id)
	}
	return p.ifaces.at(int(id)), nil
}

func (p *pcapngReader) Next() (Packet, error) {
	for {
		typ, body, err := p.readBlock()
		if err != nil {
			return Packet{}, err
		}
		switch typ {
		case blockIDB:
			if err := p.addInterface(body); err != nil {
				return Packet{}, err
			}
		case blockEPB, blockObsoletePkt:
			if len(body) < 20 {
				return Packet{}, fmt.Errorf("read pcapng packet block: block too short: file is corrupt")
			}
			var id uint32
			if typ == blockEPB {
				id = p.order.Uint32(body)
			} else {
				id = uint32(p.order.Uint16(body))
			}
			ifc, err := p.iface(id)
			if err != nil {
				return Packet{}, err
			}
			ts := uint64(p.order.Uint32(body[4:]))<<32 | uint64(p.order.Uint32(body[8:]))
			capLen := p.order.Uint32(body[12:])
			origLen := p.order.Uint32(body[16:])
			rest := body[20:]
			if uint64(capLen) > uint64(len(rest)) {
				return Packet{}, fmt.Errorf("read pcapng packet block: captured length %d exceeds the block: file is corrupt", capLen)
			}
			pkt := Packet{
				Timestamp:      p.timestamp(ifc, ts),
				CaptureLen:     int(capLen),
				OrigLen:        int(origLen),
				Data:           rest[:capLen],
				InterfaceIndex: int(id),
			}
			if pad := (int(capLen) + 3) &^ 3; pad <= len(rest) {
				p.options(rest[pad:], func(code uint16, v []byte) {
					switch code {
					case optComment:
						if pkt.Comment == "" {
							pkt.Comment = string(v)
						}
					case optEPBFlags:
						if typ == blockEPB && len(v) == 4 {
							pkt.Flags = p.order.Uint32(v)
						}
					}
				})
			}
			return pkt, nil
		case blockSPB:
			if len(body) < 4 {
				return Packet{}, fmt.Errorf("read pcapng simple packet block: block too short: file is corrupt")
			}
			ifc, err := p.iface(0)
			if err != nil {
				return Packet{}, err
			}
			origLen := p.order.Uint32(body)
			capLen := uint32(len(body) - 4)
			if origLen < capLen {
				capLen = origLen
			}
			if ifc.snap != 0 && capLen > ifc.snap {
				capLen = ifc.snap
			}
			// A simple packet block has no timestamp.
			return Packet{
				Timestamp:  time.Unix(0, 0),
				CaptureLen: int(capLen),
				OrigLen:    int(origLen),
				Data:       body[4 : 4+capLen],
			}, nil
		case blockNRB:
			p.addNames(body)
		}
		// SHB (handled in readBlock), ISB, DSB, custom: nothing to return.
	}
}
