package nftables

import (
	"errors"

	"github.com/netdiag/netdiag/internal/nfnl"
)

// Errors of package nftables; test with errors.Is.
var (
	// ErrTableNotFound means no table has the requested name.
	ErrTableNotFound = errors.New("no such nftables table")
	// ErrNotLoaded means the kernel has no nf_tables.
	ErrNotLoaded = nfnl.ErrNotLoaded
	// ErrNotSupported means this system has no such kernel interface:
	// the reader needs Linux.
	ErrNotSupported = errors.New("not supported on this system")
)
