//go:build !linux

package probe

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"time"

	"github.com/miekg/dns"

	"github.com/netdiag/netdiag/nsutil"
)

// errNotImplemented is the error of every probe on this GOOS.
var errNotImplemented = fmt.Errorf("%w: probes are not implemented on %s", ErrNotSupported, runtime.GOOS)

// TCP is not implemented on this GOOS.
func TCP(ctx context.Context, ns *nsutil.NetNS, addr netip.AddrPort, timeout time.Duration) (Outcome, error) {
	return Outcome{}, fmt.Errorf("tcp probe %s: %w", addr, errNotImplemented)
}

// UDP is not implemented on this GOOS.
func UDP(ctx context.Context, ns *nsutil.NetNS, addr netip.AddrPort, payload []byte, timeout time.Duration) (Outcome, error) {
	return Outcome{}, fmt.Errorf("udp probe %s: %w", addr, errNotImplemented)
}

// send is not implemented on this GOOS: the lookup stops with its error.
func (l *lookup) send(req *dns.Msg, srv netip.AddrPort, tcp bool) (*dns.Msg, time.Duration, error) {
	return nil, 0, &fatalError{errNotImplemented}
}
