package node

import "github.com/netdiag/netdiag/nsutil"

// scannedNS is one pod netns the scan found: a netns whose eth0 is a veth with
// its peer in the node netns.
type scannedNS struct {
	Ref   NetNSRef
	PIDs  []int
	IPs   []string
	Iface Iface
	Host  HostIface
}

// netnsScan is the result of scanNetNS.
type netnsScan struct {
	Pods map[nsutil.ID]*scannedNS
	// Attached holds every netns with a veth peer in the node netns, whether or
	// not it has an eth0; others (and the node's own) are not this node's pods.
	Attached map[nsutil.ID]bool
	// NodePIDs maps every process in the node netns or an attached netns to
	// its netns: the processes that can be this node's.
	NodePIDs map[int]nsutil.ID
	Warnings []string
}
