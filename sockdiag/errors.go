package sockdiag

import "errors"

// Errors of package sockdiag; test with errors.Is.
var (
	// ErrNotSupported means this system has no such kernel interface:
	// the reader needs Linux.
	ErrNotSupported = errors.New("not supported on this system")
)
