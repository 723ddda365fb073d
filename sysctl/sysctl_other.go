//go:build !linux

package sysctl

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// The readers need Linux; elsewhere they return an error wrapping
// ErrNotSupported, and the types and parsers still build.

func errNotSupported() error {
	return fmt.Errorf("%w: reading net sysctls is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

func Read(ns *nsutil.NetNS, names ...string) ([]Param, error) { return nil, errNotSupported() }

func Write(ns *nsutil.NetNS, name, value string) (Change, error) { return Change{}, errNotSupported() }
