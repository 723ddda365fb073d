//go:build !linux

package kmsg

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

func notImplemented(path string) error {
	return fmt.Errorf("read kernel log %s: %w: /dev/kmsg is not implemented on %s", path, ErrNotSupported, runtime.GOOS)
}

// Scan is not implemented on this GOOS.
func Scan(path string, window time.Duration) ([]Event, error) { return nil, notImplemented(path) }

// Records is not implemented on this GOOS.
func Records(path string, window time.Duration, fn func(Record)) error {
	return notImplemented(path)
}

// Open is not implemented on this GOOS.
func Open(path string) (io.ReadCloser, error) { return nil, notImplemented(path) }

// ReadNetworkLines is not implemented on this GOOS.
func ReadNetworkLines(path string, keep int) ([]string, int, error) {
	return nil, 0, notImplemented(path)
}
