package ipvs

import "errors"

// Errors of package ipvs; test with errors.Is.
var (
	// ErrNotLoaded means the kernel has no IPVS generic netlink family
	// (ip_vs not loaded): an answer, not a failure.
	ErrNotLoaded = errors.New("IPVS is not loaded on this node")
	// ErrNotSupported means this system has no such kernel interface:
	// the reader needs Linux.
	ErrNotSupported = errors.New("not supported on this system")
)
