//go:build !linux

package node

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// scanNetNS is not implemented on this GOOS: there are no network namespaces.
func scanNetNS(procRoot, hostRoot string, node *nsutil.NetNS) (*netnsScan, error) {
	return nil, fmt.Errorf("scan network namespaces: %w: not implemented on %s", nsutil.ErrNotSupported, runtime.GOOS)
}
