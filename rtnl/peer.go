package rtnl

import (
	"errors"
	"fmt"

	"github.com/netdiag/netdiag/nsutil"
)

// Peer is the node side of a pod's veth.
type Peer struct {
	Link
	// Master is the name of the bridge the peer is a port of; "" for none.
	Master string
}

// HostPeer finds the node-side peer of the pod's veth ifname (normally eth0)
// and its master bridge. The pod interface's IFLA_LINK is the peer's ifindex
// and its IFLA_LINK_NETNSID says in which netns; HostPeer checks that this
// netns is node, and that the peer points back at the pod interface.
//
// It errors with ErrNotFound when ifname does not exist, ErrNotVeth when it
// is not a veth, and ErrPeerNotInNode when the peer lives elsewhere.
func HostPeer(pod *nsutil.NetNS, ifname string, node *nsutil.NetNS) (Peer, error) {
	peer, err := hostPeer(pod, ifname, node)
	if err != nil {
		return Peer{}, fmt.Errorf("find host peer of %s in netns %s: %w", ifname, pod.Path(), err)
	}
	return peer, nil
}

func hostPeer(pod *nsutil.NetNS, ifname string, node *nsutil.NetNS) (Peer, error) {
	pc, err := Dial(pod)
	if err != nil {
		return Peer{}, err
	}
	defer pc.Close()
	nc, err := Dial(node)
	if err != nil {
		return Peer{}, err
	}
	defer nc.Close()

	pl, err := pc.LinkByName(ifname)
	if err != nil {
		return Peer{}, err
	}
	if pl.Kind != "veth" {
		return Peer{}, fmt.Errorf("%w (kind %s)", ErrNotVeth, pl.Kind)
	}
	if pl.ParentIndex == 0 {
		return Peer{}, fmt.Errorf("%w (the kernel reports no peer index)", ErrNotVeth)
	}
	if pl.NetNSID < 0 {
		// No IFLA_LINK_NETNSID: the peer is in the pod's own netns.
		if pod.ID() == node.ID() {
			return peerLink(nc, pl.ParentIndex, pl.Index, nil)
		}
		return Peer{}, fmt.Errorf("%w %s (the peer, index %d, is in the pod's own netns)", ErrPeerNotInNode, node.Path(), pl.ParentIndex)
	}

	// The id the pod netns uses for node; -1 when it has none, which means the
	// peer (for which the kernel allocated an id when reporting the link) is
	// not in node.
	nodeNSID, err := pc.NetNSID(node.Fd())
	if err != nil {
		return Peer{}, fmt.Errorf("look up the node netns id in the pod netns: %w", err)
	}
	if nodeNSID != pl.NetNSID {
		// Double-check from the node side before saying no: look for a veth
		// that points back at the pod interface in the pod netns.
		p, err := scanForPeer(nc, pod, pl.Index)
		if err != nil {
			return Peer{}, err
		}
		if p.Index == 0 {
			return Peer{}, fmt.Errorf("%w %s (the peer is in the pod's netns id %d, another netns)", ErrPeerNotInNode, node.Path(), pl.NetNSID)
		}
		return p, nil
	}
	return peerLink(nc, pl.ParentIndex, pl.Index, pod)
}

// peerLink returns link index of c if it is a veth whose peer is backIndex
// in back (nil: in c's own netns).
func peerLink(c *Conn, index, backIndex int, back *nsutil.NetNS) (Peer, error) {
	l, err := c.LinkByIndex(index)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Peer{}, fmt.Errorf("peer index %d in the node netns (pod deleted meanwhile?): %w", index, ErrNotFound)
		}
		return Peer{}, fmt.Errorf("get peer: %w", err)
	}
	backNSID := -1
	if back != nil {
		// Asked after the link: reporting it made the kernel allocate the id.
		if backNSID, err = c.NetNSID(back.Fd()); err != nil {
			return Peer{}, fmt.Errorf("look up the pod netns id in the node netns: %w", err)
		}
	}
	if l.Kind != "veth" || l.ParentIndex != backIndex || l.NetNSID != backNSID || backNSID == -1 && back != nil {
		return Peer{}, fmt.Errorf("%w: node interface %d (%s) does not point back at the pod interface", ErrPeerNotInNode, index, l.Name)
	}
	return withMaster(c, l)
}

// scanForPeer looks in the node netns for a veth whose peer is podIndex in
// pod. It returns a zero Peer when there is none.
func scanForPeer(nc *Conn, pod *nsutil.NetNS, podIndex int) (Peer, error) {
	links, err := nc.Links()
	if err != nil {
		return Peer{}, fmt.Errorf("list node links: %w", err)
	}
	// Listing links allocated ids for every peer netns, so this now resolves.
	podNSID, err := nc.NetNSID(pod.Fd())
	if err != nil {
		return Peer{}, fmt.Errorf("look up pod netns id in node netns: %w", err)
	}
	if podNSID < 0 {
		return Peer{}, nil
	}
	for _, l := range links {
		if l.Kind == "veth" && l.ParentIndex == podIndex && l.NetNSID == podNSID {
			return withMaster(nc, l)
		}
	}
	return Peer{}, nil
}

// withMaster resolves the name of l's master in the same netns.
func withMaster(c *Conn, l Link) (Peer, error) {
	p := Peer{Link: l}
	if l.MasterIndex != 0 {
		m, err := c.LinkByIndex(l.MasterIndex)
		if err != nil {
			return Peer{}, fmt.Errorf("get master %d of %s: %w", l.MasterIndex, l.Name, err)
		}
		p.Master = m.Name
	}
	return p, nil
}
