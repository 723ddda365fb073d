package attribute

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/sockdiag"
)

// Bounds, so that a capture of many flows keeps a bounded memory.
const (
	maxFlows = 1 << 16
	// ownersEvery is the least time between two walks of /proc for the
	// holders of sockets not yet seen.
	ownersEvery = 20 * time.Millisecond
	// socketsEvery is the least time between two socket dumps of one netns.
	socketsEvery = 2 * time.Millisecond
	// maxCgroupFile bounds the read of /proc/PID/cgroup.
	maxCgroupFile = 64 << 10
)

// Attributor names the local ends of flows. It is not safe for concurrent
// use: one capture loop calls it.
type Attributor struct {
	procRoot string
	pods     map[string]*node.Pod // by UID
	byAddr   map[netip.Addr]*scope
	nodeNS   *scope
	scopes   []*scope
	flows    map[Flow]string
	owners   map[uint32]sockdiag.Process
	walked   time.Time
	now      func() time.Time
}

// scope is one netns's sockets.
type scope struct {
	pod    *node.Pod // nil: the node's own netns
	open   func() (*nsutil.NetNS, error)
	ns     *nsutil.NetNS
	err    error
	conns  map[sockKey]uint32
	local  map[sockKey]uint32 // connected sockets by local end only (peer zero)
	binds  map[sockKey]uint32 // listeners and unconnected UDP, by local end (address may be unspecified)
	dumped time.Time
}

type sockKey struct {
	proto       uint8
	local, peer netip.AddrPort
}

// New makes an Attributor for a node: the pods of inv by their IPs, in
// their netns, and the node's own addresses (nodeAddrs) in the node netns
// (nodeNS, nil for none; Close closes it). procRoot is where /proc is; ""
// means /proc.
func New(inv *node.Inventory, nodeNS *nsutil.NetNS, nodeAddrs map[netip.Addr]bool, procRoot string) *Attributor {
	if procRoot == "" {
		procRoot = "/proc"
	}
	a := &Attributor{procRoot: procRoot, pods: map[string]*node.Pod{}, byAddr: map[netip.Addr]*scope{},
		flows: map[Flow]string{}, owners: map[uint32]sockdiag.Process{}, now: time.Now}
	if nodeNS != nil {
		a.nodeNS = &scope{ns: nodeNS}
		a.scopes = append(a.scopes, a.nodeNS)
		for ip := range nodeAddrs {
			a.byAddr[ip.Unmap()] = a.nodeNS
		}
	}
	if inv != nil {
		for i := range inv.Pods {
			p := &inv.Pods[i]
			if p.UID != "" {
				a.pods[p.UID] = p
			}
			if p.HostNetwork {
				continue
			}
			s := &scope{pod: p, open: p.OpenNetNS}
			added := false
			for _, ip := range p.IPs {
				if addr, err := netip.ParseAddr(ip); err == nil {
					if _, taken := a.byAddr[addr.Unmap()]; !taken {
						a.byAddr[addr.Unmap()] = s
						added = true
					}
				}
			}
			if added {
				a.scopes = append(a.scopes, s)
			}
		}
	}
	return a
}

// Close closes the netns handles it holds.
func (a *Attributor) Close() {
	for _, s := range a.scopes {
		if s.ns != nil {
			s.ns.Close()
			s.ns = nil
		}
	}
}

// Comment returns the owners of a packet's flow, and whether this is the
// flow's first packet seen. It is "" for packets that are not TCP or UDP.
func (a *Attributor) Comment(lt pcapio.LinkType, data []byte) (string, bool) {
	f, ok := ParseFlow(lt, data)
	if !ok {
		return "", false
	}
	k := f.key()
	if c, ok := a.flows[k]; ok {
		return c, false
	}
	var src, dst *Owner
	if s := a.byAddr[f.Src.Addr().Unmap()]; s != nil {
		src = a.owner(s, f.Proto, f.Src, f.Dst)
	}
	if s := a.byAddr[f.Dst.Addr().Unmap()]; s != nil {
		dst = a.owner(s, f.Proto, f.Dst, f.Src)
	}
	c := comment(src, dst)
	if len(a.flows) >= maxFlows {
		clear(a.flows)
	}
	a.flows[k] = c
	return c, true
}

// owner finds who holds end (talking to peer) in s.
func (a *Attributor) owner(s *scope, proto uint8, end, peer netip.AddrPort) *Owner {
	o := &Owner{Unknown: true}
	if s.pod != nil {
		o.Pod = s.pod.FullName()
	}
	end, peer = unmapPort(end), unmapPort(peer)
	ino, ok := s.lookup(proto, end, peer)
	if !ok && a.now().Sub(s.dumped) >= socketsEvery {
		a.dump(s)
		ino, ok = s.lookup(proto, end, peer)
	}
	if !ok {
		return o
	}
	p, ok := a.owners[ino]
	if !ok && a.now().Sub(a.walked) >= ownersEvery {
		a.walked = a.now()
		// A walk sees every socket there is: what it does not list is gone.
		clear(a.owners)
		for ino, ps := range sockdiag.Owners(a.procRoot) {
			a.owners[ino] = ps[0]
		}
		p, ok = a.owners[ino]
	}
	if !ok {
		return o
	}
	o.Unknown, o.PID, o.Comm = false, p.PID, p.Command
	a.container(o)
	return o
}

func unmapPort(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// lookup finds the socket of end: connected to peer, else connected from
// end to anyone (the peer was rewritten by NAT after the socket chose it),
// else bound to end's port.
func (s *scope) lookup(proto uint8, end, peer netip.AddrPort) (uint32, bool) {
	if ino, ok := s.conns[sockKey{proto, end, peer}]; ok {
		return ino, true
	}
	if ino, ok := s.local[sockKey{proto: proto, local: end}]; ok {
		return ino, true
	}
	if ino, ok := s.binds[sockKey{proto: proto, local: end}]; ok {
		return ino, true
	}
	for _, any := range []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()} {
		if ino, ok := s.binds[sockKey{proto: proto, local: netip.AddrPortFrom(any, end.Port())}]; ok {
			return ino, true
		}
	}
	return 0, false
}

// dump reads s's sockets again.
func (a *Attributor) dump(s *scope) {
	s.dumped = a.now()
	if s.ns == nil && s.open != nil && s.err == nil {
		s.ns, s.err = s.open()
	}
	if s.ns == nil {
		return
	}
	socks, err := sockdiag.List(s.ns, sockdiag.Filter{All: true, NoProcesses: true})
	if err != nil {
		return
	}
	s.conns, s.local, s.binds = map[sockKey]uint32{}, map[sockKey]uint32{}, map[sockKey]uint32{}
	for _, k := range socks {
		if k.Inode == 0 {
			continue // TIME-WAIT and the like: no process holds it
		}
		proto := uint8(protoTCP)
		if k.Netid == "udp" {
			proto = protoUDP
		}
		local, peer := unmapPort(k.Local), unmapPort(k.Peer)
		if peer.Port() == 0 {
			s.binds[sockKey{proto: proto, local: local}] = k.Inode
			continue
		}
		s.conns[sockKey{proto, local, peer}] = k.Inode
		s.local[sockKey{proto: proto, local: local}] = k.Inode
	}
}

// container names the container of o's process from its cgroup, and its
// pod when o has none yet (a host-network pod's process).
func (a *Attributor) container(o *Owner) {
	b, err := hostfile.ReadFile(a.procRoot+"/"+strconv.Itoa(o.PID)+"/cgroup", maxCgroupFile)
	if err != nil {
		return
	}
	info, err := node.ParseCgroup(bytes.NewReader(b))
	if err != nil || info.ContainerID == "" {
		return
	}
	pod := a.pods[info.PodUID]
	if o.Pod == "" && pod != nil {
		o.Pod = pod.FullName()
	}
	o.Container = shortID(info.ContainerID)
	if pod != nil {
		for _, c := range pod.Containers {
			if c.ID == info.ContainerID && c.Name != "" {
				o.Container = c.Name
			}
		}
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
