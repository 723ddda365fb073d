package capture

import (
	"errors"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
	"golang.org/x/net/bpf"
)

// Defaults, as libpcap and tcpdump use them.
const (
	// DefaultSnapLen is tcpdump's default -s (MAXIMUM_SNAPLEN).
	DefaultSnapLen = 262144
	// DefaultBufferKiB is libpcap's default ring size (-B), 2 MiB.
	DefaultBufferKiB = 2048
	// DefaultTimeout is the block retire timeout tcpdump uses when writing files.
	DefaultTimeout = time.Second
)

// AnyInterface is the pseudo-interface that captures on every interface of
// the netns through a cooked (SOCK_DGRAM) socket, as tcpdump -i any.
const AnyInterface = "any"

// Namespace creates sockets inside a network namespace; *nsutil.NetNS is one.
// A nil Namespace means the caller's own netns.
type Namespace interface {
	Socket(domain, typ, proto int) (int, error)
}

// Options configure one capture handle. The zero value captures everything
// on Interface like `tcpdump -i IFACE`: promiscuous, snaplen 262144, 2 MiB
// ring, 1 s block timeout.
type Options struct {
	// Interface is the interface name inside the netns, or "any".
	Interface string
	// SnapLen bounds the bytes kept of each packet; 0 means 262144.
	SnapLen int
	// BufferKiB is the ring size in KiB (tcpdump -B); 0 means 2048.
	BufferKiB int
	// NoPromisc leaves the interface out of promiscuous mode (tcpdump -p).
	NoPromisc bool
	// Timeout is the TPACKET_V3 block retire timeout: the longest a packet
	// waits in a partly filled block. 0 means 1 s; it is rounded up to 1 ms.
	Timeout time.Duration
	// Cooked selects LINUX_SLL instead of LINUX_SLL2 for cooked captures
	// (tcpdump 4.99 uses SLL2 for -i any).
	CookedSLL1 bool
	// Filter is a classic BPF program for the kernel, compiled for the
	// handle's link type with the packet as the kernel sees it (for -i any,
	// without the cooked header: see capture/filter ForCookedSocket). nil
	// accepts everything.
	Filter []bpf.RawInstruction
	// Compile, when set and Filter is nil, is called with the handle's link
	// type once it is known (EN10MB, RAW, LINUX_SLL2, ...) and returns the
	// kernel program and, for what the kernel cannot run, a user-space one.
	Compile func(lt pcapio.LinkType) (kernel, user []bpf.RawInstruction, err error)
	// UserFilter, when set, runs in user space (capture/filter's VM) on
	// each packet as written (cooked header and VLAN tag included) and
	// drops packets it rejects: for programs the kernel cannot run, or
	// runs only as a prefilter (loops; see capture/filter ForKernel).
	UserFilter []bpf.RawInstruction
}

// Stats are kernel counters of one handle, accumulated over its life
// (PACKET_STATISTICS resets on every read).
type Stats struct {
	// Received is tp_packets: packets that passed the filter, dropped ones
	// included ("packets received by filter").
	Received uint64
	// Dropped is tp_drops: packets lost because the ring was full
	// ("packets dropped by kernel").
	Dropped uint64
	// FreezeQueue is tp_freeze_q_cnt: times the ring ran out of free blocks.
	FreezeQueue uint64
}

// Add returns the sum of two statistics.
func (s Stats) Add(o Stats) Stats {
	return Stats{Received: s.Received + o.Received, Dropped: s.Dropped + o.Dropped, FreezeQueue: s.FreezeQueue + o.FreezeQueue}
}

// Interface describes the interface a handle captures on.
type Interface struct {
	Name   string
	Index  int // 0 for "any"
	MTU    int
	HWType uint16 // ARPHRD_*
}

// PacketInfo is the metadata of one captured packet.
type PacketInfo struct {
	Timestamp time.Time
	// CaptureLen is len(Data); Length is the length on the wire, VLAN tag
	// included when one was re-inserted.
	CaptureLen, Length int
	// IfIndex is the interface the packet was seen on (useful with "any").
	IfIndex int
	// PacketType is sll_pkttype: 0 host, 1 broadcast, 2 multicast, 3 other
	// host, 4 outgoing.
	PacketType uint8
	// Source is the index of the handle in Run's list.
	Source int
	// Comment, set by a Handler before it writes the packet, becomes the
	// pcapng packet comment (Output) or the line after it (text).
	Comment string

	// sec and nsec are Timestamp as the ring gave it, for the pcap fast path;
	// valid when raw is set.
	sec, nsec uint32
	raw       bool
}

// Outgoing reports whether the kernel saw the packet leave (PACKET_OUTGOING).
func (pi *PacketInfo) Outgoing() bool { return pi.PacketType == 4 }

// Reasons a capture stopped; Result.Reason wraps or is one of them.
var (
	ErrCountReached     = errors.New("packet count reached")
	ErrDurationElapsed  = errors.New("duration elapsed")
	ErrInterfaceDown    = errors.New("interface went down")
	ErrInterfaceGone    = errors.New("interface disappeared")
	ErrNotSupported     = errors.New("packet capture is only supported on Linux")
	ErrStopRequested    = errors.New("stop requested")
	ErrFileLimitReached = errors.New("maximum file limit reached")
	ErrLowDiskSpace     = errors.New("free disk space below the floor")
)
