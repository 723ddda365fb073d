//go:build !linux

package conntrack

import (
	"context"
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// The readers need Linux; elsewhere they return an error wrapping
// ErrNotSupported, and the types and parsers still build.

func errNotSupported() error {
	return fmt.Errorf("%w: conntrack is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

func Dump(ns *nsutil.NetNS, filter Filter, fn func(Entry) error) error { return errNotSupported() }

func Events(ctx context.Context, ns *nsutil.NetNS, filter Filter, fn func(Event) error, lost func()) error {
	return errNotSupported()
}

func Delete(ns *nsutil.NetNS, entries []Entry) ([]Deleted, error) { return nil, errNotSupported() }

func ReadStats(ns *nsutil.NetNS) (Stats, error) { return Stats{}, errNotSupported() }
