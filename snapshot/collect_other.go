//go:build !linux

package snapshot

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// readLinks reads nothing on this GOOS: links, routes and neighbours are
// read over Linux's rtnetlink.
func (s *Snapshot) readLinks(ns *nsutil.NetNS) {
	s.Unavailable[PartLinks] = fmt.Sprintf("reading links is not implemented on %s", runtime.GOOS)
}
