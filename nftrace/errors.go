package nftrace

import "errors"

// Errors of package nftrace; test with errors.Is.
var (
	// ErrLost says the kernel dropped trace events: the socket was full.
	ErrLost = errors.New("trace events were lost: the socket buffer was full")
	// ErrNotSupported means this system has no such kernel interface:
	// tracing needs Linux's nf_tables.
	ErrNotSupported = errors.New("not supported on this system")
)
