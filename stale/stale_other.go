//go:build !linux

package stale

import (
	"context"
	"fmt"
	"runtime"
)

// Scanning reads Linux's /proc and signals through pidfds; elsewhere Kill
// returns an error wrapping ErrNotSupported.

func errNotSupported() error {
	return fmt.Errorf("%w: killing stale processes is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

// Kill is not implemented on this GOOS.
func Kill(ctx context.Context, groups []Group, opts KillOptions) ([]Action, error) {
	return nil, errNotSupported()
}

// BootTicks is 0 on this GOOS: every process is judged.
func BootTicks() uint64 { return 0 }
