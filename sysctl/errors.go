package sysctl

import "errors"

// Errors of package sysctl; test with errors.Is.
var (
	// ErrUnknown means the netns has no such sysctl (wrong name, module
	// not loaded, or an interface that does not exist in that netns).
	ErrUnknown = errors.New("unknown sysctl")
	// ErrNotNet means the name is outside net.*, which is not per netns.
	ErrNotNet = errors.New("only net.* sysctls belong to a network namespace")
	// ErrNotSupported means this system has no such kernel interface:
	// the reader needs Linux.
	ErrNotSupported = errors.New("not supported on this system")
)
