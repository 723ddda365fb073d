//go:build !linux

package sockdiag

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// The readers need Linux; elsewhere they return an error wrapping
// ErrNotSupported, and the types and parsers still build.

func errNotSupported() error {
	return fmt.Errorf("%w: sock_diag is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

func List(ns *nsutil.NetNS, filter Filter) ([]Socket, error) { return nil, errNotSupported() }

func Owners(procRoot string) map[uint32][]Process { return map[uint32][]Process{} }
