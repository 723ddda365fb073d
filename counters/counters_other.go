//go:build !linux

package counters

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// The readers need Linux; elsewhere they return an error wrapping
// ErrNotSupported, and the types and parsers still build.

func errNotSupported() error {
	return fmt.Errorf("%w: reading /proc/net counters is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

func Read(ns *nsutil.NetNS) (List, error) { return nil, errNotSupported() }

func ReadDir(dir string) (List, error) { return nil, errNotSupported() }

func ReadSoftnet(ns *nsutil.NetNS) ([]Softnet, error) { return nil, errNotSupported() }
