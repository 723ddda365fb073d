package snapshot

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/netdiag/netdiag/conntrack"
	"github.com/netdiag/netdiag/counters"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/kmsg"
	"github.com/netdiag/netdiag/kubeproxy"
	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
	"github.com/netdiag/netdiag/sockdiag"
	"github.com/netdiag/netdiag/stale"
	"github.com/netdiag/netdiag/sysctl"
)

// Options say what to read and how.
type Options struct {
	Node      node.Options
	Inventory *node.Inventory // already loaded; nil: Collect loads it
	// Pod restricts the per-pod parts to one pod; nil: every pod.
	Pod *node.Pod
	// Sample is the time between the two counter samples; 0 means 2 s.
	Sample time.Duration
	// KernelLog is the kernel log device; "" means /dev/kmsg.
	KernelLog string
	// KernelLogWindow is how far back kernel log lines count; 0 means 1 h.
	KernelLogWindow time.Duration
	// StaleAskedAt is when the user asked, in clock ticks after boot
	// (stale.BootTicks): processes started later are not judged. 0 judges
	// every process.
	StaleAskedAt uint64
	// DNS sends live DNS queries from pods (see readDNS); false leaves that
	// part unavailable, for readers that must not send anything.
	DNS bool
	// Drops counts the kernel's drop reasons during the sample (dropmon);
	// false leaves that part unavailable.
	Drops bool
	// Raw asks for the sections a support bundle writes as read; the zero
	// value reads none.
	Raw RawOptions
}

// Collect reads one Snapshot. It never fails on a part it cannot read: the
// part goes into Unavailable with the reason, and the checks that need it say
// so. It fails only when the node netns cannot be opened, and then returns
// with the error what it read before: the pod list and the raw parts that
// need no netns (CNI files, kernel log lines). A cancelled ctx returns nil.
func Collect(ctx context.Context, o Options) (*Snapshot, error) {
	if o.Sample == 0 {
		o.Sample = 2 * time.Second
	}
	if o.KernelLog == "" {
		o.KernelLog = "/dev/kmsg"
	}
	if o.KernelLogWindow == 0 {
		o.KernelLogWindow = time.Hour
	}
	s := &Snapshot{Taken: time.Now().UTC(), Interval: o.Sample, Unavailable: map[Part]string{}}
	s.NodeName, s.NodeNameSource = node.NodeName(o.Node)
	s.KernelRelease = node.KernelRelease()
	inv := o.Inventory
	if inv == nil {
		var err error
		if inv, err = node.Load(ctx, o.Node); err != nil {
			s.Unavailable[PartPods] = err.Error()
			inv = &node.Inventory{}
		}
	}
	s.Inventory, s.Pods, s.Processes = inv, inv.Pods, inv.Processes
	raw := &rawReader{o: o}
	if o.Raw.any() {
		s.Raw = &Raw{}
	}
	nodeNS, err := node.OpenNode(o.Node.NodeNetNS)
	if err != nil {
		raw.hostFiles(s)
		return s, fmt.Errorf("open node netns: %w", err)
	}
	defer nodeNS.Close()

	pods := podsToRead(s.Pods, o.Pod)
	podNS := make([]*nsutil.NetNS, len(pods))
	podErr := make([]error, len(pods))
	for i, p := range pods {
		ns, err := p.OpenNetNS()
		if err != nil {
			podErr[i] = err
			continue
		}
		podNS[i] = ns
		defer ns.Close()
	}

	// First sample, then everything else while the interval runs.
	start := time.Now()
	dropsDone := s.sampleDrops(ctx, o)
	s.Node.Counters[0], err = counters.Read(nodeNS)
	if err != nil {
		s.Unavailable[PartCounters] = err.Error()
	}
	s.Conntrack[0], err = conntrack.ReadStats(nodeNS)
	if err != nil {
		s.conntrackFailed(err)
	}
	if why := notHostNetNS(nodeNS); why != "" {
		s.Unavailable[PartSoftnet] = why + ": softnet_stat counts the whole kernel, other namespaces included"
	} else if s.Softnet[0], err = counters.ReadSoftnet(nodeNS); err != nil {
		s.Unavailable[PartSoftnet] = err.Error()
	}
	s.PodNet = make([]PodNet, 0, len(pods))
	for i, p := range pods {
		pn := PodNet{Pod: p, Sysctls: map[string]string{}, NetNSErr: podErr[i]}
		if ns := podNS[i]; ns != nil {
			pn.Counters[0], _ = counters.Read(ns)
		}
		s.PodNet = append(s.PodNet, pn)
	}

	s.readLinks(nodeNS)
	s.readPodRanges(nodeNS, o.Node)
	s.readSysctls(nodeNS)
	s.readRules(nodeNS, o.Node.HostRoot, inv)
	s.readKernelLog(o, nodeNS)
	for i := range s.PodNet {
		if ns := podNS[i]; ns != nil {
			s.PodNet[i].Sysctls = readSysctlMap(ns, "net.core.somaxconn")
			s.PodNet[i].Listeners, _ = sockdiag.List(ns, sockdiag.Filter{TCP: true, Listening: true, NoProcesses: true})
		}
	}
	if res, err := stale.Scan(inv, stale.Options{HostRoot: o.Node.HostRoot, Pod: o.Pod, AskedAt: o.StaleAskedAt}); err != nil {
		s.Unavailable[PartStale] = err.Error()
	} else {
		s.Stale = res.Stale
	}
	if o.DNS {
		s.DNS = readDNS(ctx, pods, o.Node.HostRoot)
	} else {
		s.Unavailable[PartDNS] = "DNS probes not asked for"
	}
	if s.Raw != nil {
		s.readRaw(raw, nodeNS, podNS)
	}

	select {
	case <-time.After(o.Sample - time.Since(start)):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.Interval = time.Since(start)
	if _, bad := s.Unavailable[PartCounters]; !bad {
		if s.Node.Counters[1], err = counters.Read(nodeNS); err != nil {
			s.Unavailable[PartCounters] = err.Error()
		}
	}
	if _, bad := s.Unavailable[PartConntrack]; !bad {
		if s.Conntrack[1], err = conntrack.ReadStats(nodeNS); err != nil {
			s.conntrackFailed(err)
		}
	}
	if _, bad := s.Unavailable[PartSoftnet]; !bad {
		if s.Softnet[1], err = counters.ReadSoftnet(nodeNS); err != nil {
			s.Unavailable[PartSoftnet] = err.Error()
		}
	}
	for i := range s.PodNet {
		if ns := podNS[i]; ns != nil {
			s.PodNet[i].Counters[1], _ = counters.Read(ns)
		}
	}
	dropsDone()
	return s, nil
}

func (s *Snapshot) conntrackFailed(err error) {
	s.Unavailable[PartConntrack] = err.Error()
	if s.Raw != nil {
		s.Raw.ConntrackErr = err
	}
}

// readRaw reads what Options.Raw asks for, while the sample runs. A netns
// is read once however many pods share it, and a pod in the node's netns
// is left to Node.Raw.
func (s *Snapshot) readRaw(r *rawReader, nodeNS *nsutil.NetNS, podNS []*nsutil.NetNS) {
	r.node(s, nodeNS)
	r.hostFiles(s)
	if !r.o.Raw.NetNS {
		return
	}
	seen := map[nsutil.ID]*RawNetNS{}
	nodeID := nodeNS.ID()
	for i := range s.PodNet {
		ns := podNS[i]
		if ns == nil || ns.ID() == nodeID {
			continue
		}
		if rn, ok := seen[ns.ID()]; ok {
			s.PodNet[i].Raw = rn
			continue
		}
		s.PodNet[i].Raw = r.netns(ns, s.PodNet[i].Pod)
		seen[ns.ID()] = s.PodNet[i].Raw
	}
}

func podsToRead(all []node.Pod, only *node.Pod) []*node.Pod {
	var out []*node.Pod
	for i := range all {
		p := &all[i]
		if p.HostNetwork || p.NetNS.IsZero() && p.PID == 0 {
			continue
		}
		if only != nil && !(p.UID == only.UID && p.NetNS.Same(only.NetNS)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (s *Snapshot) readLinks(ns *nsutil.NetNS) {
	c, err := rtnl.Dial(ns)
	if err != nil {
		s.Unavailable[PartLinks] = err.Error()
		return
	}
	defer c.Close()
	links, err := c.Links()
	if err != nil {
		s.Unavailable[PartLinks] = err.Error()
		return
	}
	addrs, _ := c.Addrs(rtnl.FamilyAll, 0)
	byIndex := map[int]string{}
	for _, l := range links {
		byIndex[l.Index] = l.Name
	}
	for _, l := range links {
		lk := Link{Name: l.Name, Index: l.Index, Kind: l.Kind, MTU: l.MTU, Up: l.Up(), AdminUp: l.AdminUp(),
			MasterIndex: l.MasterIndex, Master: byIndex[l.MasterIndex], DstPort: l.DstPort}
		for _, a := range addrs {
			if a.Index == l.Index {
				lk.Addrs = append(lk.Addrs, a.Prefix)
			}
		}
		s.Node.Links = append(s.Node.Links, lk)
	}
	if routes, err := c.Routes(rtnl.FamilyAll, rtnl.TableMain); err == nil {
		for _, r := range routes {
			s.Node.Routes = append(s.Node.Routes, Route{Dst: r.Dst, Dev: byIndex[r.OIF], Gateway: r.Gateway})
		}
	}
	if neigh, err := c.Neighbors(rtnl.FamilyAll); err == nil {
		for _, n := range neigh {
			s.Node.Neighbors = append(s.Node.Neighbors, Neighbor{IP: n.IP, Dev: byIndex[n.Index], State: neighState(n.State)})
		}
	}
}

// readPodRanges reads the pod ranges the node states (node.PodRanges:
// CNI configuration, routes to the pod bridge and veths, kubelet and
// kube-proxy settings) and the node's own addresses. Addresses of
// endpoints never count: a host-network endpoint is on the node's network.
func (s *Snapshot) readPodRanges(ns *nsutil.NetNS, o node.Options) {
	s.PodRangeSources = node.PodRanges(ns, o)
	s.PodRanges = node.NodeScope(s.PodRangeSources)
	s.NodeAddrs = map[netip.Addr]bool{}
	for _, l := range s.Node.Links {
		for _, a := range l.Addrs {
			s.NodeAddrs[a.Addr()] = true
			if a.Addr().IsGlobalUnicast() {
				s.NodeNets = append(s.NodeNets, a.Masked())
			}
		}
	}
}

// neighState names the one state that matters most of the set st.
func neighState(st rtnl.NeighState) string {
	switch {
	case st&rtnl.NeighFailed != 0:
		return "FAILED"
	case st&rtnl.NeighIncomplete != 0:
		return "INCOMPLETE"
	case st&rtnl.NeighReachable != 0:
		return "REACHABLE"
	case st&rtnl.NeighStale != 0:
		return "STALE"
	case st&rtnl.NeighDelay != 0:
		return "DELAY"
	case st&rtnl.NeighProbe != 0:
		return "PROBE"
	case st&rtnl.NeighPermanent != 0:
		return "PERMANENT"
	case st&rtnl.NeighNoARP != 0:
		return "NOARP"
	}
	return "NONE"
}

// nodeSysctls are the node sysctls the checks read; per-interface rp_filter
// is added for every link.
var nodeSysctls = []string{
	"net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables", "net.ipv4.tcp_tw_recycle",
	"net.ipv4.tcp_timestamps", "net.ipv4.conf.all.rp_filter", "net.ipv4.vs.conn_reuse_mode",
	"net.ipv4.vs.expire_nodest_conn", "net.core.somaxconn",
	"net.core.netdev_max_backlog", "net.core.netdev_budget", "net.core.netdev_budget_usecs",
}

func (s *Snapshot) readSysctls(ns *nsutil.NetNS) {
	names := append([]string(nil), nodeSysctls...)
	for _, l := range s.Node.Links {
		names = append(names, "net.ipv4.conf."+strings.ReplaceAll(l.Name, ".", "/")+".rp_filter")
	}
	s.Node.Sysctls = readSysctlMap(ns, names...)
	if _, ok := s.Node.Sysctls["net.ipv4.ip_forward"]; !ok {
		s.Unavailable[PartSysctls] = "cannot read net.ipv4.ip_forward in the node netns"
	}
}

// readSysctlMap reads what exists of names; a missing one (module not
// loaded, old kernel) is simply absent from the map.
func readSysctlMap(ns *nsutil.NetNS, names ...string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		v, err := sysctl.Read(ns, n)
		if err == nil && len(v) == 1 {
			out[strings.ReplaceAll(n, "/", ".")] = v[0].Value
		}
	}
	return out
}

func (s *Snapshot) readRules(ns *nsutil.NetNS, hostRoot string, inv *node.Inventory) {
	_, sets, ipErr := iptables.Backends(ns, hostRoot)
	for _, b := range []iptables.Backend{iptables.Legacy, iptables.NFT} {
		if rs := sets[b]; rs != nil {
			s.IPTables = append(s.IPTables, rs)
		}
	}
	nft, nftErr := nftables.Dump(ns, "", "")
	if nftErr == nil {
		s.NFT = nft
	} else if s.Raw != nil {
		s.Raw.NFTErr = nftErr
	}
	if ipErr != nil && nftErr != nil {
		s.Unavailable[PartRules] = fmt.Sprintf("iptables: %v; nftables: %v", ipErr, nftErr)
	}
	if sets == nil {
		sets = map[iptables.Backend]*iptables.Ruleset{}
	}
	res, err := kubeproxy.Load(ns, hostRoot, "auto", sets)
	switch {
	case errors.Is(err, kubeproxy.ErrNoKubeProxy):
		// No kube-proxy: nothing to check, and not a failure.
		s.NoServices = err.Error()
	case err != nil:
		s.Unavailable[PartServices] = err.Error()
	default:
		s.ServiceMode, s.Services = res.Mode, res.Services
		kubeproxy.NodeLiveness(inv, s.PodRanges, s.NodeAddrs, s.NodeNets).Mark(s.Services)
		s.countConntrackToDead(ns)
	}
}

// maxConntrackScan bounds the entries read to count flows to dead endpoints.
const maxConntrackScan = 500000

var errScanDone = errors.New("scan done")

func (s *Snapshot) countConntrackToDead(ns *nsutil.NetNS) {
	dead := map[netip.Addr]bool{}
	for _, svc := range s.Services {
		for _, e := range svc.Endpoints {
			if !e.Live {
				dead[e.IP] = true
			}
		}
	}
	if len(dead) == 0 {
		return
	}
	s.ConntrackByDest = map[netip.Addr]int{}
	n := 0
	_ = conntrack.Dump(ns, conntrack.Filter{}, func(e conntrack.Entry) error {
		if n++; n > maxConntrackScan {
			return errScanDone
		}
		if dead[e.Reply.Src] {
			s.ConntrackByDest[e.Reply.Src]++
		}
		return nil
	})
}

// readKernelLog counts failure lines in the kernel log. The log is one for
// the whole kernel: when the node netns is not the host's (see hostNetNS),
// its lines may belong to other namespaces, so they are left out.
func (s *Snapshot) readKernelLog(o Options, nodeNS *nsutil.NetNS) {
	if why := notHostNetNS(nodeNS); why != "" {
		s.Unavailable[PartKernelLog] = why + ": kernel log lines could come from other namespaces"
		return
	}
	ev, err := kmsg.Scan(o.KernelLog, o.KernelLogWindow)
	if err != nil {
		s.Unavailable[PartKernelLog] = err.Error()
		return
	}
	for _, e := range ev {
		s.Kernel = append(s.Kernel, KernelEvent(e))
	}
}

// notHostNetNS says why nodeNS is not the host's netns (PID 1's, or when
// PID 1 cannot be seen, netdiag's own), "" when it is. Kernel-wide
// evidence (kernel log, softnet_stat) describes the node only in the
// host's netns: a simulated or nested node shares the kernel with others.
func notHostNetNS(nodeNS *nsutil.NetNS) string {
	if init, err := nsutil.OpenPID(1); err == nil {
		same := init.ID() == nodeNS.ID()
		init.Close()
		if !same {
			return "the node netns is not PID 1's"
		}
	} else if self, err := nsutil.Self(); err == nil {
		same := self.ID() == nodeNS.ID()
		self.Close()
		if !same {
			return "the node netns is not netdiag's own"
		}
	}
	return ""
}
