//go:build !linux

package capture

import (
	"context"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// Handle is a capture handle; on this OS it cannot be opened.
type Handle struct{}

// Open always fails: AF_PACKET exists only on Linux.
func Open(Namespace, Options) (*Handle, error) { return nil, ErrNotSupported }

// TrimStartupPages does nothing outside Linux.
func TrimStartupPages() {}

func (*Handle) LinkType() pcapio.LinkType { return pcapio.LinkTypeEthernet }
func (*Handle) Interface() Interface      { return Interface{} }
func (*Handle) SnapLen() int              { return DefaultSnapLen }
func (*Handle) Stats() (Stats, error)     { return Stats{}, ErrNotSupported }
func (*Handle) Close() error              { return nil }
func (*Handle) RingSize() (int, int)      { return 0, 0 }

// RunConfig bounds a capture.
type RunConfig struct {
	Count      uint64
	Duration   time.Duration
	Watch      func() error
	WatchEvery time.Duration
}

// Result says how a capture ended.
type Result struct {
	Captured uint64
	Reason   error
	Stats    []Stats
}

// Total sums the statistics of all handles.
func (r Result) Total() Stats { return Stats{} }

// Handler receives each packet.
type Handler func(pi *PacketInfo, data []byte) error

// Run always fails on this OS.
func Run(context.Context, []*Handle, RunConfig, Handler) (Result, error) {
	return Result{}, ErrNotSupported
}
