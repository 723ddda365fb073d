//go:build !linux

package iptables

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// The readers need Linux; elsewhere they return an error wrapping
// ErrNotSupported, and the types and parsers still build.

func errNotSupported() error {
	return fmt.Errorf("%w: reading iptables is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

func Save(ns *nsutil.NetNS, hostRoot string, b Backend) ([]byte, string, error) {
	return nil, "", errNotSupported()
}

func Dump(ns *nsutil.NetNS, hostRoot string, b Backend) (*Ruleset, error) {
	return nil, errNotSupported()
}

func Backends(ns *nsutil.NetNS, hostRoot string) ([]BackendStatus, map[Backend]*Ruleset, error) {
	return nil, nil, errNotSupported()
}

func Backends6(ns *nsutil.NetNS, hostRoot string) ([]BackendStatus, map[Backend]*Ruleset, error) {
	return nil, nil, errNotSupported()
}

func Read(ns *nsutil.NetNS, ip6 bool) (*Ruleset, error) { return nil, errNotSupported() }
