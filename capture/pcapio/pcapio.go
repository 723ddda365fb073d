package pcapio

import (
	"errors"
	"fmt"
	"time"
)

// LinkType is a LINKTYPE_ value from the pcap and pcapng headers
// (https://www.tcpdump.org/linktypes.html).
type LinkType uint32

// Link types netdiag captures and decodes.
const (
	LinkTypeNull      LinkType = 0
	LinkTypeEthernet  LinkType = 1
	LinkTypeRaw       LinkType = 101
	LinkTypeLoop      LinkType = 108
	LinkTypeLinuxSLL  LinkType = 113
	LinkTypeIPv4      LinkType = 228
	LinkTypeIPv6      LinkType = 229
	LinkTypeLinuxSLL2 LinkType = 276
)

var linkNames = map[LinkType][2]string{
	LinkTypeNull:      {"NULL", "BSD loopback"},
	LinkTypeEthernet:  {"EN10MB", "Ethernet"},
	LinkTypeRaw:       {"RAW", "Raw IP"},
	LinkTypeLoop:      {"LOOP", "OpenBSD loopback"},
	LinkTypeLinuxSLL:  {"LINUX_SLL", "Linux cooked v1"},
	LinkTypeIPv4:      {"IPV4", "Raw IPv4"},
	LinkTypeIPv6:      {"IPV6", "Raw IPv6"},
	LinkTypeLinuxSLL2: {"LINUX_SLL2", "Linux cooked v2"},
}

// String returns the name tcpdump's -y and -L use (EN10MB, LINUX_SLL2, ...), or
// LINKTYPE_N for types netdiag does not know.
func (lt LinkType) String() string {
	if n, ok := linkNames[lt]; ok {
		return n[0]
	}
	return fmt.Sprintf("LINKTYPE_%d", uint32(lt))
}

// Description is the text tcpdump prints in parentheses after the name in
// "reading from file F, link-type EN10MB (Ethernet), snapshot length N".
func (lt LinkType) Description() string {
	if n, ok := linkNames[lt]; ok {
		return n[1]
	}
	return fmt.Sprintf("LINKTYPE_%d", uint32(lt))
}

// ParseLinkType accepts tcpdump's -y names (case-insensitive) and returns the
// link type.
func ParseLinkType(name string) (LinkType, error) {
	for lt, n := range linkNames {
		if equalFold(n[0], name) {
			return lt, nil
		}
	}
	return 0, fmt.Errorf("parse link type %q: unknown name (want EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL or LOOP)", name)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Packet is one captured packet.
type Packet struct {
	Timestamp time.Time
	// CaptureLen is the number of bytes captured (len(Data) when read); 0 when
	// writing means len(Data).
	CaptureLen int
	// OrigLen is the length of the packet on the wire; 0 when writing means
	// CaptureLen.
	OrigLen int
	Data    []byte
	// InterfaceIndex is the pcapng interface ID (see Reader.Interface);
	// always 0 for pcap.
	InterfaceIndex int
	// Comment is the pcapng opt_comment of the packet; pcap has none.
	Comment string
	// Flags is the pcapng epb_flags word (bits 0-1: 1 inbound, 2 outbound); 0
	// means absent. pcap ignores it.
	Flags uint32
}

// EPB flag values for the direction bits of Packet.Flags.
const (
	FlagInbound  uint32 = 1
	FlagOutbound uint32 = 2
)

// Interface describes a capture interface: the pcap global header, or a pcapng
// Interface Description Block.
type Interface struct {
	Name        string // if_name
	Description string // if_description
	LinkType    LinkType
	SnapLen     uint32
	// TsResolNano is true when timestamps have nanosecond resolution (pcap
	// 0xa1b23c4d magic, pcapng if_tsresol 9). When writing pcapng it selects
	// if_tsresol 9 instead of the default 6.
	TsResolNano bool
	Filter      string // if_filter (string form)
}

// Reader reads packets from a pcap or pcapng stream.
type Reader interface {
	// Next returns the next packet, or io.EOF at the end. Packet.Data is valid
	// until the next call. A record cut short (a capture killed mid-write)
	// returns a *TruncatedError, which wraps io.ErrUnexpectedEOF: treat it
	// as the end, as tcpdump does after printing what it read.
	Next() (Packet, error)
	// NumInterfaces is the number of interfaces described so far in the
	// current pcapng section (more may come with later packets), or 1 for
	// pcap.
	NumInterfaces() int
	// Interface describes interface i of the current section (pcap: its one
	// pseudo-interface); the zero Interface when there is no such
	// interface. Names, descriptions and filters are kept for the first
	// interfaces of a section only (up to 1 MiB of them): a file of millions
	// of interfaces costs a few bytes for each.
	Interface(i int) Interface
	// Section counts the pcapng sections read so far (1 for pcap):
	// interface indexes start again at 0 in each.
	Section() int
	// LinkType is the link type of interface 0.
	LinkType() LinkType
	// Nanosecond reports whether interface 0 has nanosecond (or finer)
	// timestamps.
	Nanosecond() bool
}

// Writer writes packets to a pcap or pcapng stream. Writes are buffered,
// headers included: call Flush after each packet for tcpdump's -U, and
// always before closing the underlying file. The underlying writer only
// ever receives whole records (pcap) or blocks (pcapng), so a file cut off
// between two writes is readable up to its end.
type Writer interface {
	WritePacket(p Packet) error
	Flush() error
}

// Errors returned by the readers.
var (
	// ErrUnknownFormat means the stream starts with neither a pcap magic
	// number nor a pcapng Section Header Block.
	ErrUnknownFormat = errors.New("unknown file format: not pcap or pcapng")
)

// maxRecord bounds one packet record or pcapng block, so a corrupt length
// cannot make a reader allocate gigabytes. BIG TCP GRO packets reach 512 KiB.
const maxRecord = 16 << 20

// MaxInterfaces bounds the interfaces of one pcapng section (24 bytes each
// in the reader); a packet cannot name a higher interface ID. libpcap has
// no such limit but keeps as little per interface (struct pcap_ng_if).
const MaxInterfaces = 1 << 20

// maxNameBytes bounds the interface names, descriptions and filters a
// reader keeps per section.
const maxNameBytes = 1 << 20

// Interfaces lists the interfaces r has described so far in its current
// section. It allocates for each: use Reader.Interface in a packet loop.
func Interfaces(r Reader) []Interface {
	out := make([]Interface, r.NumInterfaces())
	for i := range out {
		out[i] = r.Interface(i)
	}
	return out
}
