//go:build !linux

package nsutil

import (
	"fmt"
	"runtime"
)

// errNotImplemented is the error of every function here: network
// namespaces are a Linux interface.
var errNotImplemented = fmt.Errorf("%w: network namespaces are not implemented on %s", ErrNotSupported, runtime.GOOS)

// Open is not implemented on this GOOS.
func Open(path string) (*NetNS, error) {
	return nil, fmt.Errorf("open netns %s: %w", path, errNotImplemented)
}

// OpenPID is not implemented on this GOOS.
func OpenPID(pid int) (*NetNS, error) {
	return nil, fmt.Errorf("open netns of pid %d: %w", pid, errNotImplemented)
}

// Self is not implemented on this GOOS.
func Self() (*NetNS, error) { return nil, fmt.Errorf("open own netns: %w", errNotImplemented) }

// Do is not implemented on this GOOS.
func (n *NetNS) Do(fn func() error) error { return errNotImplemented }

// Socket is not implemented on this GOOS.
func (n *NetNS) Socket(domain, typ, proto int) (int, error) { return -1, errNotImplemented }

// List is not implemented on this GOOS.
func List(procRoot string, bindDirs ...string) ([]Entry, error) {
	return nil, fmt.Errorf("list network namespaces: %w", errNotImplemented)
}

// StatID is not implemented on this GOOS.
func StatID(path string) (ID, error) {
	return ID{}, fmt.Errorf("stat netns %s: %w", path, errNotImplemented)
}
