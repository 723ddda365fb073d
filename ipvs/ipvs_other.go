//go:build !linux

package ipvs

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// The readers need Linux; elsewhere they return an error wrapping
// ErrNotSupported, and the types and parsers still build.

func errNotSupported() error {
	return fmt.Errorf("%w: IPVS is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

func Dump(ns *nsutil.NetNS) (*State, error) { return nil, errNotSupported() }
