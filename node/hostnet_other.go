//go:build !linux

package node

import "github.com/netdiag/netdiag/nsutil"

// hostNetworkIPs is not implemented on this GOOS: nil, as when neither
// source can be read.
func hostNetworkIPs(o Options, ns *nsutil.NetNS) []string { return nil }
