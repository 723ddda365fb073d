package rtnl

import "errors"

// Errors of package rtnl; test with errors.Is.
var (
	// ErrNotSupported means this system has no such kernel interface:
	// the reader needs Linux.
	ErrNotSupported = errors.New("not supported on this system")
	// ErrNotFound means the interface does not exist (any more).
	ErrNotFound = errors.New("no such interface")
	// ErrNotVeth means the pod interface is not a veth, so it has no host-side peer.
	ErrNotVeth = errors.New("not a veth interface")
	// ErrPeerNotInNode means the veth's peer lives in a netns other than the node's.
	ErrPeerNotInNode = errors.New("veth peer is not in the node netns")
	// ErrDumpInterrupted means the kernel's tables kept changing during a
	// dump (NLM_F_DUMP_INTR) each time it was tried.
	ErrDumpInterrupted = errors.New("dump interrupted: the table changed while it was read")
)
