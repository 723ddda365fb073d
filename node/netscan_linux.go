package node

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

// podIfName is the interface CNI plugins give a pod.
const podIfName = "eth0"

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
	nc, err := rtnl.Dial(node)
	if err != nil {
		return nil, fmt.Errorf("scan netns: %w", err)
	}
	defer nc.Close()
	links, err := nc.Links()
	if err != nil {
		return nil, fmt.Errorf("scan netns: node: %w", err)
	}
	// Peer netns id → node veths pointing into it, by the peer's ifindex.
	peers := map[int]map[int]rtnl.Link{}
	byIndex := make(map[int]rtnl.Link, len(links))
	for _, l := range links {
		byIndex[l.Index] = l
		if l.Kind != "veth" || l.NetNSID < 0 {
			continue
		}
		if peers[l.NetNSID] == nil {
			peers[l.NetNSID] = map[int]rtnl.Link{}
		}
		peers[l.NetNSID][l.ParentIndex] = l
	}

	type job struct {
		e    nsutil.Entry
		ns   *nsutil.NetNS
		veth map[int]rtnl.Link
	}
	var jobs []job
	nodeID := node.ID()
	if afterList != nil {
		afterList(entries)
	}
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
		nsid := peerID(nc, e)
		if nsid < 0 || peers[nsid] == nil {
			continue
		}
		e.PIDs = holdersByAge(procRoot, e)
		ns := openEntry(e)
		if ns == nil {
			continue // every process left and no bind mount holds it: gone
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

// afterList, when set by a test, runs between listing the namespaces and
// opening them, to end processes in that window.
var afterList func([]nsutil.Entry)

// entryPaths lists the files that open netns e, the most lasting first: its
// bind mounts, then /proc/PID/ns/net of its processes in e.PIDs order. Any
// process may exit or change netns before its file is opened (after PID
// wraparound the lowest PIDs of a pod's netns are exec probes that live for
// milliseconds), so a netns is gone only when every one of them fails.
func entryPaths(e nsutil.Entry) []string {
	paths := make([]string, 0, len(e.Paths)+len(e.PIDs))
	paths = append(paths, e.Paths...)
	for _, pid := range e.PIDs {
		paths = append(paths, "/proc/"+strconv.Itoa(pid)+"/ns/net")
	}
	return paths
}

// peerID returns the id the node netns (nc) has for netns e, or -1.
func peerID(nc *rtnl.Conn, e nsutil.Entry) int {
	for _, path := range entryPaths(e) {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err != nil {
			continue // exited (ENOENT), or unmounted since the listing
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || uint64(st.Ino) != e.ID.Ino || uint64(st.Dev) != e.ID.Dev {
			unix.Close(fd) // the process changed netns, or its PID was reused
			continue
		}
		id, err := nc.NetNSID(fd)
		unix.Close(fd)
		if err != nil {
			return -1
		}
		return id
	}
	return -1
}

// holdersByAge returns the processes of e that are still in it, the oldest
// first: a pod's first process (pause) outlives the exec probes and
// restarted containers that may hold lower PIDs after PID wraparound, so it
// is the one to name the pod by. Processes that exited or left are dropped.
func holdersByAge(procRoot string, e nsutil.Entry) []int {
	type proc struct {
		pid   int
		start uint64
	}
	procs := make([]proc, 0, len(e.PIDs))
	buf := make([]byte, 0, 512)
	for _, pid := range e.PIDs {
		dir := filepath.Join(procRoot, strconv.Itoa(pid))
		var st unix.Stat_t
		if unix.Stat(filepath.Join(dir, "ns", "net"), &st) != nil || uint64(st.Ino) != e.ID.Ino || uint64(st.Dev) != e.ID.Dev {
			continue
		}
		var err error
		if buf, err = readInto(buf, filepath.Join(dir, "stat")); err != nil {
			continue
		}
		ps, _ := ParseStat(buf) // malformed: start 0, the oldest
		procs = append(procs, proc{pid, ps.StartTime})
	}
	sort.SliceStable(procs, func(i, j int) bool { return procs[i].start < procs[j].start })
	out := make([]int, len(procs))
	for i, p := range procs {
		out[i] = p.pid
	}
	return out
}

// openEntry opens a listed netns by the first of entryPaths that still
// names it; its path is the one the pod is then known by.
func openEntry(e nsutil.Entry) *nsutil.NetNS {
	for _, p := range entryPaths(e) {
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
func scanPod(ns *nsutil.NetNS, e nsutil.Entry, veths map[int]rtnl.Link, byIndex map[int]rtnl.Link, node *nsutil.NetNS) (*scannedNS, error) {
	l, addrs, err := readPodLink(ns, podIfName)
	if err != nil {
		if errors.Is(err, rtnl.ErrNotFound) {
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
	if hv, ok := veths[l.Index]; ok && hv.Index == l.ParentIndex {
		s.Host = HostIface{Name: hv.Name, Index: hv.Index, MTU: hv.MTU, Up: hv.AdminUp()}
		if m, ok := byIndex[hv.MasterIndex]; ok && hv.MasterIndex != 0 {
			s.Host.Master = m.Name
		}
		return s, nil
	}
	// The veth appeared after the node dump, or eth0 is not the one: look
	// it up from both sides.
	p, err := rtnl.HostPeer(ns, podIfName, node)
	if err != nil {
		if errors.Is(err, rtnl.ErrPeerNotInNode) || errors.Is(err, rtnl.ErrNotVeth) || errors.Is(err, rtnl.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("scan netns %s: %w", ns.Path(), err)
	}
	s.Host = HostIface{Name: p.Name, Index: p.Index, MTU: p.MTU, Master: p.Master, Up: p.AdminUp()}
	return s, nil
}

// readPodLink reads one interface and its addresses in ns over a single
// rtnetlink socket: the scan does this for every pod. It errors with
// rtnl.ErrNotFound when the interface does not exist.
func readPodLink(ns *nsutil.NetNS, name string) (rtnl.Link, []rtnl.Address, error) {
	c, err := rtnl.Dial(ns)
	if err != nil {
		return rtnl.Link{}, nil, err
	}
	defer c.Close()
	l, err := c.LinkByName(name)
	if err != nil {
		return rtnl.Link{}, nil, err
	}
	addrs, err := c.Addrs(rtnl.FamilyAll, l.Index)
	if err != nil {
		return rtnl.Link{}, nil, err
	}
	return l, addrs, nil
}

// podIPs keeps the addresses a pod is known by: IPv4 first, no link-local.
func podIPs(addrs []rtnl.Address) []string {
	var v4, v6 []string
	for _, a := range addrs {
		ip := a.Prefix.Addr().Unmap()
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
