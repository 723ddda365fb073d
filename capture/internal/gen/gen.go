package gen

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// Namespace creates sockets inside a network namespace; *nsutil.NetNS is
// one. nil means the caller's netns.
type Namespace interface {
	Socket(domain, typ, proto int) (int, error)
}

// Config is one bounded burst. Count and MaxDuration both bound it; the
// zero MaxDuration means 60 s, so a mistake never floods forever.
type Config struct {
	Interface   string
	Count       int
	PPS         int           // packets per second; 0 = as fast as the socket takes them
	MaxDuration time.Duration // 0 means 60 s
	Size        int           // frame length without FCS; 0 means 64, minimum 60
	SrcMAC      net.HardwareAddr
	DstMAC      net.HardwareAddr // nil means broadcast
	Src, Dst    netip.Addr       // IPv4; zero means 198.18.0.1 → 198.18.0.2
	SrcPort     uint16           // 0 means 40000
	DstPort     uint16           // 0 means 9 (discard)
	VLAN        int              // >0 adds an 802.1Q tag with this VLAN ID
	// QdiscBypass sends with PACKET_QDISC_BYPASS: faster, but packet
	// sockets on the sending interface then do not see the frames.
	QdiscBypass bool
}

// Result reports what was sent.
type Result struct {
	Sent    int
	Elapsed time.Duration
}

// ErrNotSupported means frames cannot be sent on this GOOS: Send needs an
// AF_PACKET socket.
var ErrNotSupported = errors.New("not supported")
