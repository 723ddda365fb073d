//go:build !linux

package gen

import (
	"fmt"
	"runtime"
)

// Send is not implemented on this GOOS: AF_PACKET is Linux's.
func Send(ns Namespace, cfg Config) (Result, error) {
	return Result{}, fmt.Errorf("send: %w: AF_PACKET is not implemented on %s", ErrNotSupported, runtime.GOOS)
}
