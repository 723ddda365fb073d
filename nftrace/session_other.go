//go:build !linux

package nftrace

import (
	"fmt"
	"runtime"
	"time"

	"github.com/netdiag/netdiag/nsutil"
)

// Tracing and decoding trace messages need Linux's nf_tables; elsewhere
// they return an error wrapping ErrNotSupported, and the types and filters
// still build.

func errNotSupported() error {
	return fmt.Errorf("%w: nftables tracing is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

// Session is a trace in one netns; on this GOOS there is none.
type Session struct{}

// Start is not implemented on this GOOS.
func Start(ns *nsutil.NetNS, f Filter) (*Session, error) { return nil, errNotSupported() }

// Table is empty on this GOOS.
func (s *Session) Table() string { return "" }

// Read is not implemented on this GOOS.
func (s *Session) Read(timeout time.Duration) ([]Event, error) { return nil, errNotSupported() }

// Close does nothing on this GOOS.
func (s *Session) Close() error { return nil }

// DecodeEvent is not implemented on this GOOS.
func DecodeEvent(b []byte) (Event, error) { return Event{}, errNotSupported() }
