package pcapio

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// writeBufSize is large enough that at 300k packets/s the writer issues a
// write(2) only every few hundred packets.
const writeBufSize = 1 << 16

// recordBuffer holds whole records (pcap records, pcapng blocks) and hands
// them to the underlying writer only whole: every Write call ends on a
// record boundary, so a capture killed between two writes (SIGKILL, a full
// disk) leaves a file every reader accepts up to its last record. A record
// larger than the buffer goes out in one Write of its own.
//
// Linux can still cut one write(2) at a page boundary when SIGKILL arrives
// during it (generic_perform_write checks for fatal signals between
// pages); that window is the write itself, not the time between flushes.
type recordBuffer struct {
	w    io.Writer
	buf  []byte
	pkts int   // packet records in buf
	err  error // the first write error; the writer is done after it
}

func newRecordBuffer(w io.Writer) recordBuffer {
	return recordBuffer{w: w, buf: make([]byte, 0, writeBufSize)}
}

// room makes space for a record of n bytes, flushing the whole records
// already buffered when it would not fit.
func (b *recordBuffer) room(n int) error {
	if b.err != nil {
		return b.err
	}
	if len(b.buf) > 0 && len(b.buf)+n > cap(b.buf) {
		return b.flush()
	}
	return nil
}

// flush writes the buffered records in one Write. Errors of the underlying
// writer are returned as they are (an *os.PathError already names the
// file) and stick: the records are not written again.
func (b *recordBuffer) flush() error {
	if b.err != nil {
		return b.err
	}
	if len(b.buf) == 0 {
		return nil
	}
	n, err := b.w.Write(b.buf)
	if err == nil && n < len(b.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		b.err = err
		return err
	}
	b.buf, b.pkts = b.buf[:0], 0
	if cap(b.buf) > 4*writeBufSize {
		// A huge record grew the buffer; do not keep it.
		b.buf = make([]byte, 0, writeBufSize)
	}
	return nil
}

// PcapWriter writes a classic pcap stream (pcap-savefile(5)) in host (little-
// endian) byte order, like tcpdump -w.
type PcapWriter struct {
	b     recordBuffer
	order byteOrder
	nano  bool
	snap  uint32
}

var _ Writer = (*PcapWriter)(nil)

// NewPcapWriter buffers the 24-byte global header and returns a writer for
// packet records; Flush writes it. nano selects nanosecond timestamps (magic 0xa1b23c4d), as
// tcpdump --time-stamp-precision=nano does; snaplen 0 means 262144.
func NewPcapWriter(w io.Writer, lt LinkType, snaplen uint32, nano bool) (*PcapWriter, error) {
	return newPcapWriter(w, lt, snaplen, nano, binary.LittleEndian)
}

func newPcapWriter(w io.Writer, lt LinkType, snaplen uint32, nano bool, order binary.ByteOrder) (*PcapWriter, error) {
	if snaplen == 0 {
		snaplen = 262144
	}
	pw := &PcapWriter{b: newRecordBuffer(w), order: binary.LittleEndian, nano: nano, snap: snaplen}
	if order == binary.ByteOrder(binary.BigEndian) {
		pw.order = binary.BigEndian
	}
	var h [24]byte
	magic := uint32(magicMicro)
	if nano {
		magic = magicNano
	}
	pw.order.PutUint32(h[0:], magic)
	pw.order.PutUint16(h[4:], 2)
	pw.order.PutUint16(h[6:], 4)
	pw.order.PutUint32(h[16:], snaplen)
	pw.order.PutUint32(h[20:], uint32(lt))
	pw.b.buf = append(pw.b.buf, h[:]...)
	return pw, nil
}

// WritePacket appends one record. Data longer than the snaplen is cut to it;
// CaptureLen 0 means len(Data) and OrigLen 0 means the captured length.
func (pw *PcapWriter) WritePacket(p Packet) error {
	data := p.Data
	if p.CaptureLen > 0 && p.CaptureLen < len(data) {
		data = data[:p.CaptureLen]
	}
	if uint32(len(data)) > pw.snap {
		data = data[:pw.snap]
	}
	orig := p.OrigLen
	if orig < len(data) {
		orig = len(data)
	}
	ts := p.Timestamp
	var frac uint32
	if pw.nano {
		frac = uint32(ts.Nanosecond())
	} else {
		frac = uint32(ts.Nanosecond() / 1000)
	}
	if err := pw.b.room(pcapRecordHdrSize + len(data)); err != nil {
		return err
	}
	o := pw.order
	b := pw.b.buf
	b = o.AppendUint32(b, uint32(ts.Unix()))
	b = o.AppendUint32(b, frac)
	b = o.AppendUint32(b, uint32(len(data)))
	b = o.AppendUint32(b, uint32(orig))
	pw.b.buf = append(b, data...)
	pw.b.pkts++
	return nil
}

// Flush writes the buffered records to the underlying writer in one Write.
func (pw *PcapWriter) Flush() error { return pw.b.flush() }

// Buffered reports how many bytes wait for Flush; rotation by size (-C) adds
// it to the bytes already written.
func (pw *PcapWriter) Buffered() int { return len(pw.b.buf) }

// BufferedPackets reports how many packet records wait for Flush.
func (pw *PcapWriter) BufferedPackets() int { return pw.b.pkts }

// PcapngOption sets an optional field of the Section Header Block.
type PcapngOption func(*pcapngConfig)

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type pcapngConfig struct {
	order                        byteOrder
	comment, hw, os, application string
}

// WithApplication sets shb_userappl (e.g. "netdiag v1.2").
func WithApplication(s string) PcapngOption { return func(c *pcapngConfig) { c.application = s } }

// WithOS sets shb_os.
func WithOS(s string) PcapngOption { return func(c *pcapngConfig) { c.os = s } }

// WithHardware sets shb_hardware.
func WithHardware(s string) PcapngOption { return func(c *pcapngConfig) { c.hw = s } }

// WithSectionComment sets the section's opt_comment.
func WithSectionComment(s string) PcapngOption { return func(c *pcapngConfig) { c.comment = s } }

// WithByteOrder writes the file in the given byte order (default little
// endian); readers must handle both, and tests need big-endian files.
// Anything but binary.BigEndian means little endian.
func WithByteOrder(o binary.ByteOrder) PcapngOption {
	return func(c *pcapngConfig) {
		c.order = binary.LittleEndian
		if o == binary.ByteOrder(binary.BigEndian) {
			c.order = binary.BigEndian
		}
	}
}

// PcapngWriter writes a pcapng stream: one section, one Interface Description
// Block per interface, then Enhanced Packet Blocks. Blocks reach the
// underlying writer whole (see recordBuffer).
type PcapngWriter struct {
	b      recordBuffer
	order  byteOrder
	little bool // order is little endian
	ifaces []Interface
	bb     blockBuilder
}

var _ Writer = (*PcapngWriter)(nil)

// NewPcapngWriter buffers the Section Header Block and an Interface
// Description Block for each interface (if_name, if_description, if_filter
// and if_tsresol 9 when TsResolNano); Flush writes them. Packet.InterfaceIndex
// selects the interface of each packet; AddInterface describes more.
func NewPcapngWriter(w io.Writer, ifaces []Interface, opts ...PcapngOption) (*PcapngWriter, error) {
	cfg := pcapngConfig{order: binary.LittleEndian}
	for _, o := range opts {
		o(&cfg)
	}
	if len(ifaces) == 0 {
		return nil, fmt.Errorf("create pcapng writer: no interfaces given")
	}
	nw := &PcapngWriter{b: newRecordBuffer(w), order: cfg.order, little: cfg.order == byteOrder(binary.LittleEndian)}
	b := &nw.bb
	b.order = cfg.order
	b.begin(blockSHB)
	b.u32(byteOrderMagic)
	b.u16(1)
	b.u16(0)
	b.u64(^uint64(0)) // section length not specified: the file is a stream
	b.optString(optComment, cfg.comment)
	b.optString(optSHBHardware, cfg.hw)
	b.optString(optSHBOS, cfg.os)
	b.optString(optSHBUserAppl, cfg.application)
	b.endOptions()
	nw.b.buf = append(nw.b.buf, b.finish()...)
	for _, ifc := range ifaces {
		if _, err := nw.AddInterface(ifc); err != nil {
			return nil, err
		}
	}
	return nw, nil
}

// AddInterface appends an Interface Description Block and returns the
// interface's index for Packet.InterfaceIndex. pcapng allows one anywhere
// in the section, before the packets that use it.
func (nw *PcapngWriter) AddInterface(ifc Interface) (int, error) {
	if ifc.SnapLen == 0 {
		ifc.SnapLen = 262144
	}
	b := &nw.bb
	b.begin(blockIDB)
	b.u16(uint16(ifc.LinkType))
	b.u16(0)
	b.u32(ifc.SnapLen)
	b.optString(optIfName, ifc.Name)
	b.optString(optIfDescription, ifc.Description)
	if ifc.TsResolNano {
		b.opt(optIfTsresol, []byte{9})
	}
	if ifc.Filter != "" {
		b.opt(optIfFilter, append([]byte{0}, ifc.Filter...))
	}
	b.endOptions()
	if err := nw.block(b.finish()); err != nil {
		return 0, err
	}
	nw.ifaces = append(nw.ifaces, ifc)
	return len(nw.ifaces) - 1, nil
}

// block buffers one non-packet block.
func (nw *PcapngWriter) block(blk []byte) error {
	if err := nw.b.room(len(blk)); err != nil {
		return err
	}
	nw.b.buf = append(nw.b.buf, blk...)
	return nil
}

// Interfaces returns the interfaces described in the file.
func (nw *PcapngWriter) Interfaces() []Interface { return nw.ifaces }

func (nw *PcapngWriter) ts(ifc *Interface, t time.Time) uint64 {
	if ifc.TsResolNano {
		return uint64(t.UnixNano())
	}
	return uint64(t.UnixMicro())
}

var zeroPad [4]byte

// WritePacket appends an Enhanced Packet Block for p on interface
// p.InterfaceIndex, with epb_flags when p.Flags is set and opt_comment when
// p.Comment is.
func (nw *PcapngWriter) WritePacket(p Packet) error {
	if p.InterfaceIndex < 0 || p.InterfaceIndex >= len(nw.ifaces) {
		return fmt.Errorf("write packet: interface index %d out of range (file has %d)", p.InterfaceIndex, len(nw.ifaces))
	}
	ifc := &nw.ifaces[p.InterfaceIndex]
	data := p.Data
	if p.CaptureLen > 0 && p.CaptureLen < len(data) {
		data = data[:p.CaptureLen]
	}
	if uint32(len(data)) > ifc.SnapLen {
		data = data[:ifc.SnapLen]
	}
	orig := p.OrigLen
	if orig < len(data) {
		orig = len(data)
	}
	pad := (4 - len(data)&3) & 3
	optLen := 0
	if p.Flags != 0 {
		optLen += 8
	}
	cpad := (4 - len(p.Comment)&3) & 3
	if p.Comment != "" {
		if len(p.Comment) > 0xffff {
			return fmt.Errorf("write packet: comment of %d bytes is longer than 65535", len(p.Comment))
		}
		optLen += 4 + len(p.Comment) + cpad
	}
	if optLen > 0 {
		optLen += 4
	}
	total := 28 + len(data) + pad + optLen + 4
	if err := nw.b.room(total); err != nil {
		return err
	}
	o := nw.order
	ts := nw.ts(ifc, p.Timestamp)
	// The header through one array: a call through the byteOrder interface
	// per field costs more, per packet, than the copy of a small packet.
	hdr := [7]uint32{blockEPB, uint32(total), uint32(p.InterfaceIndex), uint32(ts >> 32), uint32(ts), uint32(len(data)), uint32(orig)}
	var h [28]byte
	if nw.little {
		for i, v := range hdr {
			binary.LittleEndian.PutUint32(h[4*i:], v)
		}
	} else {
		for i, v := range hdr {
			binary.BigEndian.PutUint32(h[4*i:], v)
		}
	}
	t := append(nw.b.buf, h[:]...)
	t = append(t, data...)
	t = append(t, zeroPad[:pad]...)
	if p.Flags != 0 {
		t = o.AppendUint16(t, optEPBFlags)
		t = o.AppendUint16(t, 4)
		t = o.AppendUint32(t, p.Flags)
	}
	if p.Comment != "" {
		t = o.AppendUint16(t, optComment)
		t = o.AppendUint16(t, uint16(len(p.Comment)))
		t = append(t, p.Comment...)
		t = append(t, zeroPad[:cpad]...)
	}
	if optLen > 0 {
		t = o.AppendUint32(t, 0) // opt_endofopt
	}
	nw.b.buf = o.AppendUint32(t, uint32(total))
	nw.b.pkts++
	return nil
}

// WriteStats writes an Interface Statistics Block for interface ifaceIdx with
// isb_starttime, isb_endtime, isb_ifrecv and isb_ifdrop; the block's own
// timestamp is end.
func (nw *PcapngWriter) WriteStats(ifaceIdx int, received, dropped uint64, start, end time.Time) error {
	if ifaceIdx < 0 || ifaceIdx >= len(nw.ifaces) {
		return fmt.Errorf("write interface statistics: interface index %d out of range (file has %d)", ifaceIdx, len(nw.ifaces))
	}
	ifc := &nw.ifaces[ifaceIdx]
	b := &nw.bb
	b.begin(blockISB)
	b.u32(uint32(ifaceIdx))
	te := nw.ts(ifc, end)
	b.u32(uint32(te >> 32))
	b.u32(uint32(te))
	var v [8]byte
	ts := nw.ts(ifc, start)
	nw.order.PutUint32(v[0:], uint32(ts>>32))
	nw.order.PutUint32(v[4:], uint32(ts))
	b.opt(optISBStartTime, v[:])
	nw.order.PutUint32(v[0:], uint32(te>>32))
	nw.order.PutUint32(v[4:], uint32(te))
	b.opt(optISBEndTime, v[:])
	nw.order.PutUint64(v[:], received)
	b.opt(optISBIfRecv, v[:])
	nw.order.PutUint64(v[:], dropped)
	b.opt(optISBIfDrop, v[:])
	b.endOptions()
	return nw.block(b.finish())
}

// Flush writes the buffered blocks to the underlying writer in one Write.
func (nw *PcapngWriter) Flush() error { return nw.b.flush() }

// Buffered reports how many bytes wait for Flush.
func (nw *PcapngWriter) Buffered() int { return len(nw.b.buf) }

// BufferedPackets reports how many packet blocks wait for Flush.
func (nw *PcapngWriter) BufferedPackets() int { return nw.b.pkts }

// blockBuilder assembles the rare non-packet blocks; packets take the
// allocation-free path in WritePacket.
type blockBuilder struct {
	order   byteOrder
	b       []byte
	hasOpts bool
}

func (b *blockBuilder) begin(typ uint32) {
	b.b = b.order.AppendUint32(b.b[:0], typ)
	b.b = b.order.AppendUint32(b.b, 0)
	b.hasOpts = false
}
func (b *blockBuilder) u16(v uint16) { b.b = b.order.AppendUint16(b.b, v) }
func (b *blockBuilder) u32(v uint32) { b.b = b.order.AppendUint32(b.b, v) }
func (b *blockBuilder) u64(v uint64) { b.b = b.order.AppendUint64(b.b, v) }
func (b *blockBuilder) opt(code uint16, v []byte) {
	b.u16(code)
	b.u16(uint16(len(v)))
	b.b = append(b.b, v...)
	b.b = append(b.b, zeroPad[:(4-len(v)&3)&3]...)
	b.hasOpts = true
}
func (b *blockBuilder) optString(code uint16, s string) {
	if s != "" {
		b.opt(code, []byte(s))
	}
}
func (b *blockBuilder) endOptions() {
	if b.hasOpts {
		b.u32(0)
	}
}
func (b *blockBuilder) finish() []byte {
	total := uint32(len(b.b) + 4)
	b.b = b.order.AppendUint32(b.b, total)
	b.order.PutUint32(b.b[4:], total)
	return b.b
}
