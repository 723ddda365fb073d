//go:build !linux

package node

import (
	"net/netip"

	"github.com/netdiag/netdiag/nsutil"
)

// RoutePodRanges is not implemented on this GOOS: it reads rtnetlink
// routes. It returns nil, as when the routes cannot be read.
func RoutePodRanges(ns *nsutil.NetNS) []PodRange { return nil }

// NodeAddrs is not implemented on this GOOS: it reads rtnetlink addresses.
// It returns nothing, as when the addresses cannot be read.
func NodeAddrs(ns *nsutil.NetNS) (map[netip.Addr]bool, []netip.Prefix) { return nil, nil }
