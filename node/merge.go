package node

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/nsutil"
)

// found is everything the sources returned, before merging.
type found struct {
	runtime         []runtimePod
	runtimeAnswered map[string]bool // SourceCRI / SourceDocker that answered
	procs           []Process
	kubelet         *kubeletIndex
	containerNames  map[string]string // container ID → name, from /var/log/containers
	scan            *netnsScan        // nil when the scan did not run
	node            NetNSRef
	hostRoot        string
	procRoot        string
}

// sourceOrder fixes the order of Sources lists.
var sourceOrder = map[string]int{SourceCRI: 0, SourceDocker: 1, SourceKubelet: 2, SourceCgroup: 3, SourceNetNS: 4}

func addSource(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	list = append(list, s)
	sort.Slice(list, func(i, j int) bool { return sourceOrder[list[i]] < sourceOrder[list[j]] })
	return list
}

// merge joins the sources into pods: runtime sandboxes first (one per pod
// UID, the ready and newest one), then processes by pod UID, then scanned
// netns by inode (else by IP, else as new pods named from kubelet's files).
func merge(f found) (pods []Pod, procs []Process, warnings []string) {
	pods = []Pod{}
	var list []*Pod
	byUID := map[string]*Pod{}
	uidKey := func(u string) string { return strings.ToLower(u) }

	// 1. Runtime sandboxes.
	best := map[string]*runtimePod{}
	var order []string
	// Every sandbox and container the runtimes know, of older sandboxes too:
	// a process in one of them is not a stale container.
	sandboxes := map[string]bool{}
	known := map[string]Container{}
	for i := range f.runtime {
		rp := &f.runtime[i]
		sandboxes[rp.SandboxID] = true
		for _, c := range rp.Containers {
			known[c.ID] = c
		}
		key := uidKey(rp.UID)
		if key == "" {
			key = "sandbox:" + rp.SandboxID
		}
		cur, ok := best[key]
		if !ok {
			order = append(order, key)
		}
		if !ok || betterSandbox(rp, cur) {
			best[key] = rp
		}
	}
	for _, key := range order {
		rp := best[key]
		p := &Pod{
			Namespace: rp.Namespace, Name: rp.Name, UID: rp.UID,
			IPs: normIPs(rp.IPs), PID: rp.PID, SandboxID: rp.SandboxID, SandboxState: rp.State,
			HostNetwork: rp.HostNetwork, Containers: append([]Container(nil), rp.Containers...),
			Sources: []string{rp.Source},
		}
		switch {
		case rp.HostNetwork:
			p.NetNS = f.node
		case rp.NetNSPath != "":
			path := hostPath(f.hostRoot, rp.NetNSPath)
			if ref, err := statNetNS(path); err == nil {
				p.NetNS = ref
			}
		}
		if p.NetNS.IsZero() && rp.PID > 0 {
			if ref, err := statNetNS(filepath.Join(f.procRoot, strconv.Itoa(rp.PID), "ns", "net")); err == nil {
				ref.Path = "/proc/" + strconv.Itoa(rp.PID) + "/ns/net"
				p.NetNS = ref
			}
		}
		list = append(list, p)
		if rp.UID != "" {
			byUID[uidKey(rp.UID)] = p
		}
	}

	// 2. Processes, by the pod UID in their cgroup.
	procsByUID := map[string][]*Process{}
	var uidOrder []string
	for i := range f.procs {
		pr := &f.procs[i]
		if pr.PodUID == "" {
			continue
		}
		k := uidKey(pr.PodUID)
		if procsByUID[k] == nil {
			uidOrder = append(uidOrder, k)
		}
		procsByUID[k] = append(procsByUID[k], pr)
	}
	for _, k := range uidOrder {
		prs := procsByUID[k]
		p := byUID[k]
		fromRuntime := p != nil
		if p == nil {
			p = &Pod{UID: prs[0].PodUID}
			list = append(list, p)
			byUID[k] = p
			p.SandboxID = guessSandbox(prs)
		}
		p.Sources = addSource(p.Sources, SourceCgroup)
		answered := fromRuntime && f.runtimeAnswered[p.Sources[0]]
		for _, pr := range prs {
			if pr.ContainerID == "" || pr.ContainerID == p.SandboxID {
				if p.PID == 0 && pr.ContainerID != "" {
					p.PID = pr.PID
				}
				continue
			}
			if sandboxes[pr.ContainerID] {
				continue // the pause process of an older sandbox of this pod
			}
			c := findContainer(p, pr.ContainerID)
			if c == nil {
				nc, ok := known[pr.ContainerID]
				switch {
				case ok:
					nc.PIDs = nil
				case answered:
					nc = Container{ID: pr.ContainerID, Name: f.containerNames[pr.ContainerID], State: StateNotInRuntime}
				default:
					nc = Container{ID: pr.ContainerID, Name: f.containerNames[pr.ContainerID]}
				}
				p.Containers = append(p.Containers, nc)
				c = &p.Containers[len(p.Containers)-1]
			}
			c.PIDs = appendUnique(c.PIDs, pr.PID)
		}
		if p.PID == 0 {
			p.PID = earliest(prs).PID
		}
		if p.NetNS.IsZero() {
			for _, pr := range prs {
				if pr.PID == p.PID && !pr.NetNS.IsZero() {
					p.NetNS = NetNSRef{Inode: pr.NetNS.Inode, Dev: pr.NetNS.Dev, Path: "/proc/" + strconv.Itoa(pr.PID) + "/ns/net"}
				}
			}
		}
	}

	// 3. Scanned namespaces.
	if f.scan != nil {
		ids := make([]nsutil.ID, 0, len(f.scan.Pods))
		for id := range f.scan.Pods {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i].Ino < ids[j].Ino })
		for _, id := range ids {
			s := f.scan.Pods[id]
			var owners []*Pod
			for _, p := range list {
				if p.NetNS.Same(s.Ref) {
					owners = append(owners, p)
				}
			}
			if len(owners) == 0 {
				// A runtime pod whose netns could not be read: match by IP.
				for _, p := range list {
					if p.NetNS.IsZero() && sharesIP(p.IPs, s.IPs) {
						owners = append(owners, p)
					}
				}
			}
			if len(owners) == 0 {
				for _, ip := range s.IPs {
					if uid := f.kubelet.uidOfIP(ip); uid != "" {
						if p := byUID[uidKey(uid)]; p != nil && p.NetNS.IsZero() {
							owners = append(owners, p)
						} else if p == nil {
							np := &Pod{UID: uid}
							list = append(list, np)
							byUID[uidKey(uid)] = np
							owners = append(owners, np)
						}
						break
					}
				}
			}
			if len(owners) == 0 {
				np := &Pod{}
				list = append(list, np)
				owners = append(owners, np)
			}
			for _, p := range owners {
				iface, host := s.Iface, s.Host
				p.Interface, p.HostInterface = &iface, &host
				p.IPs = unionIPs(p.IPs, s.IPs)
				if p.NetNS.IsZero() || p.NetNS.Path == "" || strings.HasPrefix(p.NetNS.Path, "/proc/") && !strings.HasPrefix(s.Ref.Path, "/proc/") {
					p.NetNS = s.Ref
				}
				if p.PID == 0 && len(s.PIDs) > 0 {
					p.PID = s.PIDs[0]
				}
				p.Sources = addSource(p.Sources, SourceNetNS)
			}
		}
	}

	// 4. Names from kubelet's files.
	for _, p := range list {
		if p.UID == "" {
			continue
		}
		ns, name, named := f.kubelet.name(p.UID)
		used := false
		if p.Name == "" && named {
			p.Namespace, p.Name = ns, name
			used = true
		}
		if len(p.IPs) == 0 {
			if ips := f.kubelet.ips(p.UID); len(ips) > 0 {
				p.IPs = ips
				used = true
			}
		}
		// One unnamed container and one container log directory: the same one.
		if len(p.Containers) == 1 && p.Containers[0].Name == "" && named {
			if cs := f.kubelet.containers(p.UID); len(cs) == 1 {
				p.Containers[0].Name = cs[0]
				used = true
			}
		}
		if used || named && name == p.Name && ns == p.Namespace {
			p.Sources = addSource(p.Sources, SourceKubelet)
		}
	}

	// 5. Pods of other nodes: on hosts that run several nodes (kind, this
	// project's labs) /proc shows every node's pods, but only the netns
	// attached to this node's netns are this node's.
	dropped := map[string]bool{}
	nDropped := 0
	kept := list[:0]
	for _, p := range list {
		if f.scan != nil && !fromRuntime(p) && !p.NetNS.IsZero() && !p.NetNS.Same(f.node) && !f.scan.Attached[nsutil.ID{Dev: p.NetNS.Dev, Ino: p.NetNS.Inode}] && !hasSource(p, SourceNetNS) {
			nDropped++
			if p.UID != "" {
				dropped[uidKey(p.UID)] = true
			}
			continue
		}
		kept = append(kept, p)
	}
	list = kept
	if nDropped > 0 {
		warnings = append(warnings, fmt.Sprintf("netns: skipped %d pods whose network namespace is not attached to the node netns %s (pods of another node on this host?)", nDropped, f.node.Path))
	}

	for _, p := range list {
		if p.IPs == nil {
			p.IPs = []string{}
		}
		if p.Containers == nil {
			p.Containers = []Container{}
		}
		for i := range p.Containers {
			if p.Containers[i].PIDs == nil {
				p.Containers[i].PIDs = []int{}
			}
			sort.Ints(p.Containers[i].PIDs)
		}
		pods = append(pods, *p)
	}
	sort.SliceStable(pods, func(i, j int) bool { return podLess(&pods[i], &pods[j]) })

	for _, pr := range f.procs {
		if pr.PodUID != "" && dropped[uidKey(pr.PodUID)] {
			continue
		}
		procs = append(procs, pr)
	}
	return pods, procs, warnings
}

func fromRuntime(p *Pod) bool { return hasSource(p, SourceCRI) || hasSource(p, SourceDocker) }

func hasSource(p *Pod, s string) bool {
	for _, x := range p.Sources {
		if x == s {
			return true
		}
	}
	return false
}

// podLess orders by namespace/name, unnamed pods last by IP.
func podLess(a, b *Pod) bool {
	if (a.Name == "") != (b.Name == "") {
		return a.Name != ""
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	if a.UID != b.UID {
		return a.UID < b.UID
	}
	return ipLess(firstIP(a), firstIP(b))
}

func firstIP(p *Pod) string {
	if len(p.IPs) > 0 {
		return p.IPs[0]
	}
	return ""
}

func ipLess(a, b string) bool {
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	if err1 != nil || err2 != nil {
		return a < b
	}
	return x.Less(y)
}

// betterSandbox prefers a ready sandbox, then the newest.
func betterSandbox(a, b *runtimePod) bool {
	if (a.State == "ready") != (b.State == "ready") {
		return a.State == "ready"
	}
	return a.CreatedAt > b.CreatedAt
}

// guessSandbox finds the pause process's container among a pod's processes
// when no runtime says which sandbox it is.
func guessSandbox(prs []*Process) string {
	for _, pr := range prs {
		if pr.Comm == "pause" && pr.ContainerID != "" {
			return pr.ContainerID
		}
	}
	return ""
}

func earliest(prs []*Process) *Process {
	e := prs[0]
	for _, pr := range prs[1:] {
		if pr.StartTime < e.StartTime || pr.StartTime == e.StartTime && pr.PID < e.PID {
			e = pr
		}
	}
	return e
}

func findContainer(p *Pod, id string) *Container {
	for i := range p.Containers {
		if p.Containers[i].ID == id {
			return &p.Containers[i]
		}
	}
	return nil
}

func appendUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// normIPs canonicalises IPs ("::ffff:1.2.3.4" → "1.2.3.4"), drops bad ones
// and duplicates, IPv4 first.
func normIPs(in []string) []string {
	return unionIPs(nil, in)
}

func unionIPs(a, b []string) []string {
	seen := map[netip.Addr]bool{}
	var v4, v6 []string
	for _, s := range append(append([]string(nil), a...), b...) {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		ip = ip.Unmap().WithZone("")
		if seen[ip] {
			continue
		}
		seen[ip] = true
		if ip.Is4() {
			v4 = append(v4, ip.String())
		} else {
			v6 = append(v6, ip.String())
		}
	}
	out := append(v4, v6...)
	if out == nil {
		return []string{}
	}
	return out
}

func sharesIP(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// hostPath maps a path in the host's mount namespace to one we can open: under
// the host root when it is there, else as given.
func hostPath(hostRoot, p string) string {
	if hostRoot == "" || hostRoot == "/" {
		return p
	}
	j := filepath.Join(hostRoot, p)
	if _, err := os.Stat(j); err == nil {
		return j
	}
	return p
}
