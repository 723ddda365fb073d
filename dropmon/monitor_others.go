//go:build !linux

package dropmon

import (
	"fmt"
	"runtime"
)

// Open is not implemented on this GOOS: drop reasons are a Linux interface.
func Open(o Options) (*Monitor, error) {
	return nil, fmt.Errorf("%w: dropmon is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

// ReadFormat is not implemented on this GOOS.
func ReadFormat() (*Format, error) {
	return nil, fmt.Errorf("%w: tracefs is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

// TracingState is not implemented on this GOOS.
func TracingState() (string, error) {
	return "", fmt.Errorf("%w: tracefs is not implemented on %s", ErrNotSupported, runtime.GOOS)
}
