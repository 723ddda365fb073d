package nsutil

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// HostPeer finds the node-side peer of the pod's veth ifname (normally eth0)
// and its master bridge. The pod interface's IFLA_LINK is the peer's ifindex
// and its IFLA_LINK_NETNSID says in which netns; HostPeer checks that this
// netns is node, and that the peer points back at the pod interface.
//
// It errors with ErrNotFound when ifname does not exist, ErrNotVeth when it
// is not a veth, and ErrPeerNotInNode when the peer lives elsewhere.
func HostPeer(pod *NetNS, ifname string, node *NetNS) (peer Link, err error) {
	peer, err = hostPeer(pod, ifname, node)
	if err != nil {
		return Link{}, fmt.Errorf("find host peer of %s in netns %s: %w", ifname, pod.path, err)
	}
	return peer, nil
}

func hostPeer(pod *NetNS, ifname string, node *NetNS) (Link, error) {
	ph, err := pod.netlinkHandle(unix.NETLINK_ROUTE) // only route calls below
	if err != nil {
		return Link{}, err
	}
	defer ph.Close()
	nh, err := node.netlinkHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return Link{}, err
	}
	defer nh.Close()

	pl, err := ph.LinkByName(ifname)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return Link{}, fmt.Errorf("interface %s: %w", ifname, ErrNotFound)
		}
		return Link{}, fmt.Errorf("get interface %s: %w", ifname, err)
	}
	pa := pl.Attrs()
	if pl.Type() != "veth" {
		return Link{}, fmt.Errorf("%w (kind %s)", ErrNotVeth, pl.Type())
	}
	if pa.ParentIndex == 0 {
		return Link{}, fmt.Errorf("%w (the kernel reports no peer index)", ErrNotVeth)
	}
	if pa.NetNsID < 0 {
		// No IFLA_LINK_NETNSID: the peer is in the pod's own netns.
		if pod.id == node.id {
			return peerLink(nh, pa.ParentIndex, pa.Index, nil)
		}
		return Link{}, fmt.Errorf("%w %s (the peer, index %d, is in the pod's own netns)", ErrPeerNotInNode, node.path, pa.ParentIndex)
	}

	// The id the pod netns uses for node; -1 when it has none, which means the
	// peer (for which the kernel allocated an id when reporting the link) is
	// not in node.
	nodeNSID, err := ph.GetNetNsIdByFd(node.Fd())
	if err != nil {
		return Link{}, fmt.Errorf("look up the node netns id in the pod netns: %w", err)
	}
	if nodeNSID != pa.NetNsID {
		// Double-check from the node side before saying no: look for a veth
		// that points back at the pod interface in the pod netns.
		l, err := scanForPeer(nh, pod, pa.Index)
		if err != nil {
			return Link{}, err
		}
		if l.Index == 0 {
			return Link{}, fmt.Errorf("%w %s (the peer is in the pod's netns id %d, another netns)", ErrPeerNotInNode, node.path, pa.NetNsID)
		}
		return l, nil
	}
	return peerLink(nh, pa.ParentIndex, pa.Index, pod)
}

// peerLink returns link index in h if it is a veth whose peer is backIndex in
// back (nil: in h's own netns).
func peerLink(h *netlink.Handle, index, backIndex int, back *NetNS) (Link, error) {
	l, err := h.LinkByIndex(index)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return Link{}, fmt.Errorf("peer index %d in the node netns (pod deleted meanwhile?): %w", index, ErrNotFound)
		}
		return Link{}, fmt.Errorf("get peer index %d: %w", index, err)
	}
	backNSID := -1
	if back != nil {
		// Asked after the link: reporting it made the kernel allocate the id.
		if backNSID, err = h.GetNetNsIdByFd(back.Fd()); err != nil {
			return Link{}, fmt.Errorf("look up the pod netns id in the node netns: %w", err)
		}
	}
	a := l.Attrs()
	if l.Type() != "veth" || a.ParentIndex != backIndex || a.NetNsID != backNSID || backNSID == -1 && back != nil {
		return Link{}, fmt.Errorf("%w: node interface %d (%s) does not point back at the pod interface", ErrPeerNotInNode, index, a.Name)
	}
	return toLink(h, l)
}

// scanForPeer looks in the node netns for a veth whose peer is podIndex in pod.
// It returns a zero Link when there is none.
func scanForPeer(nh *netlink.Handle, pod *NetNS, podIndex int) (Link, error) {
	links, err := nh.LinkList()
	if err != nil {
		return Link{}, fmt.Errorf("list node links: %w", err)
	}
	// Listing links allocated ids for every peer netns, so this now resolves.
	podNSID, err := nh.GetNetNsIdByFd(pod.Fd())
	if err != nil {
		return Link{}, fmt.Errorf("look up pod netns id in node netns: %w", err)
	}
	if podNSID < 0 {
		return Link{}, nil
	}
	for _, l := range links {
		a := l.Attrs()
		if l.Type() == "veth" && a.ParentIndex == podIndex && a.NetNsID == podNSID {
			return toLink(nh, l)
		}
	}
	return Link{}, nil
}

// toLink converts l and resolves its master's name in the same netns.
func toLink(h *netlink.Handle, l netlink.Link) (Link, error) {
	a := l.Attrs()
	out := Link{
		Index:        a.Index,
		Name:         a.Name,
		MTU:          a.MTU,
		Up:           a.Flags&net.FlagUp != 0,
		MasterIndex:  a.MasterIndex,
		Kind:         l.Type(),
		HardwareAddr: a.HardwareAddr.String(),
	}
	if a.MasterIndex != 0 {
		m, err := h.LinkByIndex(a.MasterIndex)
		if err != nil {
			return Link{}, fmt.Errorf("get master %d of %s: %w", a.MasterIndex, a.Name, err)
		}
		out.Master = m.Attrs().Name
	}
	return out, nil
}
