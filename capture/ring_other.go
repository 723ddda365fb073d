//go:build !linux

package capture

import (
	"context"
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// Handle is a capture handle; on this OS it cannot be opened.
type Handle struct{}

// Open always fails: AF_PACKET exists only on Linux.
func Open(Namespace, Options) (*Handle, error) { return nil, errNotImplemented }

// errNotImplemented is the error of every stub here.
var errNotImplemented = fmt.Errorf("%w: AF_PACKET is not implemented on %s", ErrNotSupported, runtime.GOOS)

func (*Handle) LinkType() pcapio.LinkType { return pcapio.LinkTypeEthernet }
func (*Handle) Interface() Interface      { return Interface{} }
func (*Handle) SnapLen() int              { return DefaultSnapLen }
func (*Handle) Stats() (Stats, error)     { return Stats{}, errNotImplemented }
func (*Handle) Close() error              { return nil }
func (*Handle) RingSize() (int, int)      { return 0, 0 }

// Run always fails on this OS.
func Run(context.Context, []*Handle, RunConfig, Handler) (Result, error) {
	return Result{}, errNotImplemented
}
