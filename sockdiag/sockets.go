package sockdiag

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// Filter selects sockets like ss's flags. The zero value selects
// connected TCP and UDP sockets of both families, as `ss -tu` does.
type Filter struct {
	TCP, UDP   bool // neither set: both
	IPv4, IPv6 bool // neither set: both
	Listening  bool // only listening sockets (TCP LISTEN, UDP UNCONN), like ss -l
	All        bool // every state, like ss -a; overrides Listening
	// NoProcesses skips the walk of /proc/*/fd that finds owning processes.
	NoProcesses bool
}

// Socket is one TCP or UDP socket as inet_diag reports it.
type Socket struct {
	Netid string `json:"netid"` // tcp or udp
	State string `json:"state"` // ss's names: LISTEN, ESTAB, UNCONN, TIME-WAIT, …
	// RecvQ and SendQ are inet_diag's rqueue and wqueue: for a listener the
	// current accept queue and the backlog (min(listen backlog, somaxconn)).
	RecvQ     uint32         `json:"recvQ"`
	SendQ     uint32         `json:"sendQ"`
	Local     netip.AddrPort `json:"local"`
	Peer      netip.AddrPort `json:"peer"`
	Interface uint32         `json:"interface,omitempty"` // index of a bound device (SO_BINDTODEVICE)
	// V6Only is IPV6_V6ONLY of an IPv6 socket; a wildcard IPv6 socket without
	// it also takes IPv4, and ss shows it as *:PORT.
	V6Only    bool      `json:"v6only,omitempty"`
	UID       uint32    `json:"uid"`
	Inode     uint32    `json:"inode"`
	Processes []Process `json:"processes,omitempty"`
}

// Process is a process holding a socket open.
type Process struct {
	PID     int    `json:"pid"`
	Command string `json:"command"`
	FD      int    `json:"fd"`
}

// Sock-diag constants from linux/sock_diag.h and linux/inet_diag.h.
const (
	sockDiagByFamily    = 20 // SOCK_DIAG_BY_FAMILY
	sockDiagReqLen      = 56 // sizeof(struct inet_diag_req_v2)
	sockDiagMsgLen      = 72 // sizeof(struct inet_diag_msg)
	sockNlmsgHdrLen     = 16
	sockTCPListen       = 10
	sockTCPClose        = 7
	sockTCPTimeWait     = 6
	sockTCPSynRecv      = 3
	sockAllStates       = 0xfff
	sockDiagRecvBufSize = 64 << 10
	sockDiagSkV6Only    = 11 // INET_DIAG_SKV6ONLY
)

// sockStateNames are ss's names for the TCP states (include/net/tcp_states.h);
// ss shows TCP_CLOSE as UNCONN.
var sockStateNames = [...]string{
	0: "UNKNOWN", 1: "ESTAB", 2: "SYN-SENT", 3: "SYN-RECV", 4: "FIN-WAIT-1",
	5: "FIN-WAIT-2", 6: "TIME-WAIT", 7: "UNCONN", 8: "CLOSE-WAIT", 9: "LAST-ACK",
	10: "LISTEN", 11: "CLOSING", 12: "NEW-SYN-RECV",
}

func sockStateName(s uint8) string {
	if int(s) < len(sockStateNames) {
		return sockStateNames[s]
	}
	return "UNKNOWN-" + strconv.Itoa(int(s))
}

// states returns the inet_diag state bitmap ss uses for the filter.
func (f Filter) states() uint32 {
	switch {
	case f.All:
		return sockAllStates
	case f.Listening:
		return 1<<sockTCPListen | 1<<sockTCPClose
	}
	// ss's SS_CONN: everything but LISTEN, CLOSE, TIME-WAIT and SYN-RECV.
	return sockAllStates &^ (1<<sockTCPListen | 1<<sockTCPClose | 1<<sockTCPTimeWait | 1<<sockTCPSynRecv)
}

// sockDiagRequest builds a dump request for every socket of one family and
// protocol in the given states (struct inet_diag_req_v2).
func sockDiagRequest(seq uint32, family, proto uint8, states uint32) []byte {
	b := make([]byte, sockNlmsgHdrLen+sockDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], nlmFRequest|nlmFDump)
	ne.PutUint32(b[8:], seq)
	r := b[sockNlmsgHdrLen:]
	r[0] = family
	r[1] = proto
	ne.PutUint32(r[4:], states)
	return b
}

// Parse parses one datagram of netlink messages answering an
// inet_diag dump with sequence number seq (0: any). It calls fn for each
// socket and reports whether the dump ended (NLMSG_DONE). A kernel error
// reply is returned as an error. Messages of other sequence numbers are
// skipped. Bytes from the kernel are not trusted: malformed input gives an
// error, never a panic.
func Parse(b []byte, seq uint32, fn func(Socket)) (done bool, err error) {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < sockNlmsgHdrLen {
			return false, fmt.Errorf("parse inet_diag reply: truncated netlink header (%d bytes)", len(b))
		}
		l := ne.Uint32(b[0:])
		typ := ne.Uint16(b[4:])
		mseq := ne.Uint32(b[8:])
		if l < sockNlmsgHdrLen || uint64(l) > uint64(len(b)) {
			return false, fmt.Errorf("parse inet_diag reply: bad netlink message length %d (have %d bytes)", l, len(b))
		}
		body := b[sockNlmsgHdrLen:l]
		// Messages are 4-byte aligned; the last one may lack its padding.
		adv := (int(l) + 3) &^ 3
		if adv > len(b) {
			adv = len(b)
		}
		b = b[adv:]
		if seq != 0 && mseq != seq {
			continue
		}
		switch typ {
		case nlmsgDone:
			return true, nil
		case nlmsgError:
			if len(body) < 4 {
				return false, fmt.Errorf("parse inet_diag reply: truncated error message")
			}
			code := int32(ne.Uint32(body))
			if code == 0 {
				continue
			}
			return false, fmt.Errorf("inet_diag request failed: %w", syscall.Errno(-code))
		case sockDiagByFamily:
			s, err := parseInetDiagMsg(body)
			if err != nil {
				return false, err
			}
			fn(s)
		}
	}
	return false, nil
}

// parseInetDiagMsg decodes struct inet_diag_msg and the one attribute ss's
// columns need, INET_DIAG_SKV6ONLY.
func parseInetDiagMsg(b []byte) (Socket, error) {
	if len(b) < sockDiagMsgLen {
		return Socket{}, fmt.Errorf("parse inet_diag reply: message of %d bytes, need %d", len(b), sockDiagMsgLen)
	}
	ne := binary.NativeEndian
	family, state := b[0], b[1]
	id := b[4:52]
	sport := binary.BigEndian.Uint16(id[0:])
	dport := binary.BigEndian.Uint16(id[2:])
	var src, dst netip.Addr
	switch family {
	case syscall.AF_INET:
		src = netip.AddrFrom4([4]byte(id[4:8]))
		dst = netip.AddrFrom4([4]byte(id[20:24]))
	case syscall.AF_INET6:
		src = netip.AddrFrom16([16]byte(id[4:20]))
		dst = netip.AddrFrom16([16]byte(id[20:36]))
	default:
		return Socket{}, fmt.Errorf("parse inet_diag reply: unknown address family %d", family)
	}
	v6only := false
	for attrs := b[sockDiagMsgLen:]; len(attrs) >= 4; {
		l := int(ne.Uint16(attrs[0:]))
		typ := ne.Uint16(attrs[2:]) & 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
		if l < 4 || l > len(attrs) {
			return Socket{}, fmt.Errorf("parse inet_diag reply: bad attribute length %d", l)
		}
		if typ == sockDiagSkV6Only && l >= 5 {
			v6only = attrs[4] != 0
		}
		adv := (l + 3) &^ 3
		if adv > len(attrs) {
			adv = len(attrs)
		}
		attrs = attrs[adv:]
	}
	return Socket{
		V6Only:    v6only,
		State:     sockStateName(state),
		Local:     netip.AddrPortFrom(src, sport),
		Peer:      netip.AddrPortFrom(dst, dport),
		Interface: ne.Uint32(id[36:]),
		RecvQ:     ne.Uint32(b[56:]),
		SendQ:     ne.Uint32(b[60:]),
		UID:       ne.Uint32(b[64:]),
		Inode:     ne.Uint32(b[68:]),
	}, nil
}

// Address formats an address like `ss -n`: 0.0.0.0:22, [::]:22,
// *:22 for a dual-stack wildcard, 198.18.0.1%eth0:68, and port 0 of a peer
// as "*".
func Address(ap netip.AddrPort, iface string, peer, dualStack bool) string {
	a := ap.Addr()
	host := a.String()
	switch {
	case dualStack && a.Is6() && a.IsUnspecified():
		host = "*"
	case a.Is6():
		host = "[" + host + "]"
	}
	if iface != "" {
		host += "%" + iface
	}
	port := strconv.Itoa(int(ap.Port()))
	if ap.Port() == 0 && (peer || a.IsUnspecified()) {
		port = "*"
	}
	return host + ":" + port
}

// Users formats the processes like ss -p: users:(("nginx",pid=1,fd=6),…).
func Users(ps []Process) string {
	if len(ps) == 0 {
		return ""
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("(%q,pid=%d,fd=%d)", p.Command, p.PID, p.FD)
	}
	return "users:(" + strings.Join(parts, ",") + ")"
}

// Netlink constants (linux/netlink.h) that golang.org/x/sys/unix names on
// Linux only, so that Parse builds everywhere.
const (
	nlmFRequest = 0x1
	nlmFDump    = 0x300
	nlmsgError  = 0x2
	nlmsgDone   = 0x3
)
