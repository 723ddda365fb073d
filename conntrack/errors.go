package conntrack

import "errors"

// Errors of package conntrack; test with errors.Is.
var (
	ErrBadProto = errors.New("unknown protocol: use tcp, udp, icmp, icmpv6, sctp, dccp, gre, udplite or a number")
	ErrBadState = errors.New("unknown state")
	// Stop, returned by a callback, ends a dump or event stream
	// without an error.
	Stop = errors.New("stop")
	// ErrUnavailable means the kernel has no conntrack (nf_conntrack
	// not loaded) or does not allow netlink access to it.
	ErrUnavailable = errors.New("conntrack is not available: nf_conntrack is not loaded on this node (nothing is tracked)")
	// ErrEventsLost means the kernel dropped events because the reader
	// fell behind (ENOBUFS); the stream goes on.
	ErrEventsLost = errors.New("conntrack events lost: the socket buffer overflowed")
	// ErrNotSupported means this system has no such kernel interface:
	// the reader needs Linux.
	ErrNotSupported = errors.New("not supported on this system")
)
