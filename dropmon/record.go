package dropmon

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Drop is one packet the kernel dropped.
type Drop struct {
	// Reason is the enum skb_drop_reason value; name it with
	// Format.ReasonName. NET_DM gives the name only (ReasonName is set).
	Reason     uint32
	ReasonName string
	// Location is the address of the kernel code that dropped the packet
	// (the caller of kfree_skb_reason). NET_DM also names it in Symbol.
	Location uint64
	Symbol   string
	// Protocol is skb->protocol in host order: an EtherType such as
	// 0x0800, or 0 when the stack had not set it.
	Protocol uint16
	// Packet holds addresses and ports when the source carries packet
	// bytes (NET_DM); nil for the tracepoint.
	Packet *Packet
}

// perf_event_header types (include/uapi/linux/perf_event.h).
const (
	perfRecordLost   = 2
	perfRecordSample = 9
	perfHeaderSize   = 8
)

var errShort = errors.New("record too short")

// Decode reads one raw skb:kfree_skb record (the PERF_SAMPLE_RAW payload,
// or a tracefs binary record's data).
func (f *Format) Decode(raw []byte) (Drop, error) {
	if len(raw) < 2 {
		return Drop{}, fmt.Errorf("kfree_skb record of %d bytes: %w", len(raw), errShort)
	}
	if t := binary.NativeEndian.Uint16(raw); uint32(t) != f.ID&0xffff {
		return Drop{}, fmt.Errorf("record of event type %d, want skb:kfree_skb (%d)", t, f.ID)
	}
	var d Drop
	loc, ok := f.Location.read(raw)
	if !ok {
		return Drop{}, fmt.Errorf("kfree_skb record of %d bytes has no location: %w", len(raw), errShort)
	}
	d.Location = loc
	p, ok := f.Protocol.read(raw)
	if !ok {
		return Drop{}, fmt.Errorf("kfree_skb record of %d bytes has no protocol: %w", len(raw), errShort)
	}
	d.Protocol = uint16(p)
	if f.Reason.Size > 0 {
		r, ok := f.Reason.read(raw)
		if !ok {
			return Drop{}, fmt.Errorf("kfree_skb record of %d bytes has no reason: %w", len(raw), errShort)
		}
		d.Reason = uint32(r)
	}
	return d, nil
}

// read reads an unsigned field of 1, 2, 4 or 8 bytes in host order.
func (fl Field) read(b []byte) (uint64, bool) {
	if fl.Offset < 0 || fl.Offset+fl.Size > len(b) {
		return 0, false
	}
	v := b[fl.Offset : fl.Offset+fl.Size]
	switch fl.Size {
	case 1:
		return uint64(v[0]), true
	case 2:
		return uint64(binary.NativeEndian.Uint16(v)), true
	case 4:
		return uint64(binary.NativeEndian.Uint32(v)), true
	case 8:
		return binary.NativeEndian.Uint64(v), true
	}
	return 0, false
}

// perfRecord is one record of a perf ring, copied out of the ring.
type perfRecord struct {
	typ  uint32
	raw  []byte // PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: the tracepoint data
	lost uint64 // PERF_RECORD_LOST: records the kernel could not write
}

// parsePerfRecord reads a whole record (header included) written with
// sample_type PERF_SAMPLE_RAW. Types other than SAMPLE and LOST come back
// with only typ set.
func parsePerfRecord(b []byte) (perfRecord, error) {
	if len(b) < perfHeaderSize {
		return perfRecord{}, fmt.Errorf("perf record of %d bytes: %w", len(b), errShort)
	}
	r := perfRecord{typ: binary.NativeEndian.Uint32(b)}
	size := int(binary.NativeEndian.Uint16(b[6:]))
	if size < perfHeaderSize || size > len(b) {
		return perfRecord{}, fmt.Errorf("perf record says %d bytes, has %d", size, len(b))
	}
	body := b[perfHeaderSize:size]
	switch r.typ {
	case perfRecordSample:
		if len(body) < 4 {
			return perfRecord{}, fmt.Errorf("perf sample without raw size: %w", errShort)
		}
		n := int(binary.NativeEndian.Uint32(body))
		if n > len(body)-4 {
			return perfRecord{}, fmt.Errorf("perf sample says %d raw bytes, has %d", n, len(body)-4)
		}
		r.raw = body[4 : 4+n]
	case perfRecordLost:
		if len(body) < 16 {
			return perfRecord{}, fmt.Errorf("perf lost record: %w", errShort)
		}
		r.lost = binary.NativeEndian.Uint64(body[8:])
	}
	return r, nil
}
