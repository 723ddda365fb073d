package nfnl

import "errors"

// ErrNotLoaded means the kernel has no nf_tables; nftables.ErrNotLoaded is
// this error.
var ErrNotLoaded = errors.New("nf_tables is not available in this kernel (module nf_tables not loaded)")
