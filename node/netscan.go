package node

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

// podIfName is the interface CNI plugins give a pod.
const podIfName = "eth0"

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

// bindDirs are where runtimes bind-mount pod netns, relative to the host root.
var bindDirs = []string{
	"var/run/netns",
	"run/netns",
	"var/run/docker/netns",
	"run/containerd/io.containerd.grpc.v1.cri/netns",
	"var/run/crio/ns",
}

// scanNetNS enters only the namespaces that hold the far end of a veth of the
// node netns: one dump of the node's links tells which those are (the kernel
// assigns a peer netns id to each while dumping), so namespaces of other
// nodes on the same host are never entered.
func scanNetNS(procRoot, hostRoot string, node *nsutil.NetNS) (*netnsScan, error) {
	res := &netnsScan{Pods: map[nsutil.ID]*scannedNS{}, Attached: map[nsutil.ID]bool{}, NodePIDs: map[int]nsutil.ID{}}
	dirs := make([]string, len(bindDirs))
	for i, d := range bindDirs {
		dirs[i] = filepath.Join(hostRoot, d)
	}
	entries, err := nsutil.List(procRoot, dirs...)
	if err != nil {
		if entries == nil {
			return nil, fmt.Errorf("scan netns: %w", err)
		}
		res.Warnings = append(res.Warnings, err.Error())
	}
	nh, err := node.NetlinkHandle()
	if err != nil {
		return nil, fmt.Errorf("scan netns: %w", err)
	}
	defer nh.Close()
	links, err := nh.LinkList()
	if err != nil {
		return nil, fmt.Errorf("scan netns: list node links: %w", err)
	}
	// Peer netns id → node veths pointing into it, by the peer's ifindex.
	peers := map[int]map[int]netlink.Link{}
	byIndex := map[int]netlink.Link{}
	for _, l := range links {
		a := l.Attrs()
		byIndex[a.Index] = l
		if l.Type() != "veth" || a.NetNsID < 0 {
			continue
		}
		if peers[a.NetNsID] == nil {
			peers[a.NetNsID] = map[int]netlink.Link{}
		}
		peers[a.NetNsID][a.ParentIndex] = l
	}

	type job struct {
		e    nsutil.Entry
		ns   *nsutil.NetNS
		veth map[int]netlink.Link
	}
	var jobs []job
	nodeID := node.ID()
	for _, e := range entries {
		if e.ID == nodeID {
			for _, pid := range e.PIDs {
				res.NodePIDs[pid] = e.ID
			}
			continue
		}
		if len(peers) == 0 {
			continue
		}
		// Ask the node netns which id it has for this netns over a raw fd
		// (nsutil.Open's checks cost more, for every netns of the host).
		nsid := peerID(nh, e)
		if nsid < 0 || peers[nsid] == nil {
			continue
		}
		ns := openEntry(e)
		if ns == nil {
			continue
		}
		res.Attached[e.ID] = true
		for _, pid := range e.PIDs {
			res.NodePIDs[pid] = e.ID
		}
		jobs = append(jobs, job{e, ns, peers[nsid]})
	}

	var mu sync.Mutex
	work := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < min(len(jobs), 2*runtime.NumCPU()); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				s, err := scanPod(j.ns, j.e, j.veth, byIndex, node)
				j.ns.Close()
				mu.Lock()
				if err != nil {
					res.Warnings = append(res.Warnings, err.Error())
				} else if s != nil {
					res.Pods[j.e.ID] = s
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	sort.Strings(res.Warnings)
	return res, nil
}

// peerID returns the id the node netns (nh) has for netns e, or -1.
func peerID(nh *netlink.Handle, e nsutil.Entry) int {
	path := ""
	switch {
	case len(e.PIDs) > 0:
		path = "/proc/" + strconv.Itoa(e.PIDs[0]) + "/ns/net"
	case len(e.Paths) > 0:
		path = e.Paths[0]
	default:
		return -1
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || uint64(st.Ino) != e.ID.Ino || uint64(st.Dev) != e.ID.Dev {
		return -1 // the process exited and its PID was reused
	}
	id, err := nh.GetNetNsIdByFd(fd)
	if err != nil {
		return -1
	}
	return id
}

// openEntry opens a listed netns by a bind mount, else by a process.
func openEntry(e nsutil.Entry) *nsutil.NetNS {
	paths := append([]string(nil), e.Paths...)
	for _, pid := range e.PIDs {
		paths = append(paths, "/proc/"+strconv.Itoa(pid)+"/ns/net")
		if len(paths) > len(e.Paths)+2 {
			break
		}
	}
	for _, p := range paths {
		ns, err := nsutil.Open(p)
		if err == nil && ns.ID() == e.ID {
			return ns
		}
		if err == nil {
			ns.Close()
		}
	}
	return nil
}

// scanPod reads eth0, its addresses and its host peer. It returns nil, nil
// for a netns whose eth0 is missing or not the peer of a node veth.
func scanPod(ns *nsutil.NetNS, e nsutil.Entry, veths map[int]netlink.Link, byIndex map[int]netlink.Link, node *nsutil.NetNS) (*scannedNS, error) {
	l, addrs, err := readPodLink(ns, podIfName)
	if err != nil {
		if errors.Is(err, errNoLink) {
			return nil, nil
		}
		return nil, fmt.Errorf("scan netns %s: %w", ns.Path(), err)
	}
	if l.Kind != "veth" {
		return nil, nil
	}
	s := &scannedNS{
		Ref:   NetNSRef{Inode: e.ID.Ino, Dev: e.ID.Dev, Path: ns.Path()},
		PIDs:  e.PIDs,
		Iface: Iface{Name: l.Name, Index: l.Index, MTU: l.MTU},
		IPs:   podIPs(addrs),
	}
	if hv, ok := veths[l.Index]; ok && hv.Attrs().Index == l.ParentIndex {
		ha := hv.Attrs()
		s.Host = HostIface{Name: ha.Name, Index: ha.Index, MTU: ha.MTU, Up: ha.Flags&net.FlagUp != 0}
		if m, ok := byIndex[ha.MasterIndex]; ok && ha.MasterIndex != 0 {
			s.Host.Master = m.Attrs().Name
		}
		return s, nil
	}
	// The veth appeared after the node dump, or eth0 is not the one: ask nsutil.
	p, err := nsutil.HostPeer(ns, podIfName, node)
	if err != nil {
		if errors.Is(err, nsutil.ErrPeerNotInNode) || errors.Is(err, nsutil.ErrNotVeth) || errors.Is(err, nsutil.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("scan netns %s: %w", ns.Path(), err)
	}
	s.Host = HostIface{Name: p.Name, Index: p.Index, MTU: p.MTU, Master: p.Master, Up: p.Up}
	return s, nil
}

// podIPs keeps the addresses a pod is known by: IPv4 first, no link-local.
func podIPs(addrs []netip.Addr) []string {
	var v4, v6 []string
	for _, ip := range addrs {
		ip = ip.Unmap()
		if ip.IsLinkLocalUnicast() || ip.IsLoopback() {
			continue
		}
		if ip.Is4() {
			v4 = append(v4, ip.String())
		} else {
			v6 = append(v6, ip.String())
		}
	}
	return append(v4, v6...)
}
