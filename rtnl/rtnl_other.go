//go:build !linux

package rtnl

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// The readers need Linux; elsewhere they return an error wrapping
// ErrNotSupported, and the types and parsers still build.

func errNotSupported() error {
	return fmt.Errorf("%w: rtnetlink is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

func Read(ns *nsutil.NetNS, opt Options) (*State, error) { return nil, errNotSupported() }
