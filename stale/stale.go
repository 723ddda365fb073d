package stale

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/netdiag/netdiag/node"
)

// Reasons a process is stale, as Group.Reason says them.
const (
	// ReasonNotInRuntime: the container named by its cgroup is unknown to the
	// runtime, which answered (removed, or lost after a shim crash).
	ReasonNotInRuntime = "not-in-runtime"
	// ReasonExited: the runtime lists the container as exited.
	ReasonExited = "container-exited"
	// ReasonSandboxGone: the runtime lists no sandbox for the pod.
	ReasonSandboxGone = "sandbox-gone"
	// ReasonSandboxNotReady: the pause process of a sandbox the runtime has stopped.
	ReasonSandboxNotReady = "sandbox-not-ready"
	// ReasonNoTaskState: the runtime could not be asked and keeps no task
	// state for the container.
	ReasonNoTaskState = "no-task-state"
	// ReasonNoContainer: in the pod (its cgroup, or its netns holding a
	// listening socket) but in no container cgroup.
	ReasonNoContainer = "no-container"
)

// Errors of package stale; test with errors.Is.
var (
	// ErrNoRuntimeState means the runtime could not be asked and none of its
	// task state was found, so nothing can be judged.
	ErrNoRuntimeState = errors.New("the container runtime could not be asked and no runtime task state was found: give --runtime-endpoint, or --task-dir for a runtime state directory in an unusual place")
	// ErrNotSupported means this system has no such kernel interface:
	// Kill needs Linux.
	ErrNotSupported = errors.New("not supported on this system")
)

// Process is one process of a stale group.
type Process struct {
	PID       int    `json:"pid"`
	PPID      int    `json:"ppid"`
	Comm      string `json:"comm"`
	Cmdline   string `json:"cmdline"`
	StartTime uint64 `json:"startTime"`         // clock ticks after boot, field 22 of /proc/PID/stat
	Started   string `json:"started,omitempty"` // the same as RFC 3339 UTC
	Cgroup    string `json:"cgroup"`            // the cgroup path that names its pod or container

	netns uint64 // inode of its netns when scanned
}

// Listener is a socket a stale process listens on: TCP in LISTEN, or a
// bound UDP socket.
type Listener struct {
	Proto   string `json:"proto"` // tcp or udp
	Address string `json:"address"`
	Port    int    `json:"port"`
	PID     int    `json:"pid"`
}

// Group is the stale processes of one container of one pod, for one reason.
type Group struct {
	Namespace     string     `json:"namespace"`
	Pod           string     `json:"pod"`
	PodUID        string     `json:"podUid"`
	ContainerID   string     `json:"containerId"`
	ContainerName string     `json:"containerName,omitempty"`
	PIDs          []int      `json:"pids"`
	Listening     []Listener `json:"listening"`
	Reason        string     `json:"reason"`
	Detail        string     `json:"detail"`
	RuntimeAsked  bool       `json:"runtimeAsked"`
	Processes     []Process  `json:"processes"`
	NetNSInode    uint64     `json:"netnsInode,omitempty"`
}

// Result is what Scan found.
type Result struct {
	Stale        []Group  `json:"stale"`
	RuntimeAsked bool     `json:"runtimeAsked"`
	Runtime      string   `json:"runtime,omitempty"`  // the runtime that answered
	TaskDirs     []string `json:"taskDirs,omitempty"` // runtime state read instead, when it could not be asked
	PodsChecked  int      `json:"podsChecked"`
	ProcsChecked int      `json:"processesChecked"`
	Warnings     []string `json:"warnings"`
}

// Options says where to look.
type Options struct {
	// ProcRoot is procfs ("" means /proc); tests point it at a fake tree.
	ProcRoot string
	// HostRoot is where the node's files are ("" means /): runtime task
	// state and kubelet's pod logs (for names of pods the runtime lost).
	HostRoot string
	// TaskDirs are more runtime task directories (entries named by container
	// ID), consulted when no runtime answered.
	TaskDirs []string
	// Pod limits the scan to one pod (nil: every pod).
	Pod *node.Pod
	// AskedAt is when the runtime was asked, in BootTicks units: processes
	// started later are not judged, since the runtime's answer predates
	// them. 0 judges every process.
	AskedAt uint64
	// NoSockets skips looking up the sockets stale processes listen on.
	NoSockets bool
}

func (o *Options) defaults() {
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	if o.HostRoot == "" {
		o.HostRoot = "/"
	}
}

// podRef is a pod as the scan sees it: from the inventory, or only from
// processes' cgroups (a pod the inventory dropped or never saw).
type podRef struct {
	pod       *node.Pod // nil for a pod only processes name
	namespace string
	name      string
	uid       string
	netns     uint64
	fromRT    bool // the runtime reported its sandbox
	names     map[string]string
}

// verdict is the judgement of one process.
type verdict struct {
	proc      procInfo
	pod       *podRef
	state     string // the runtime's state of the container; "sandbox"; node.StateNotInRuntime; "" unknown
	known     bool   // the runtime (or its task state) holds the container
	reason    string // "" when not stale
	netnsOnly bool   // in the pod by netns alone: stale only when it listens there
}

// judgement is every verdict of one scan.
type judgement struct {
	opts         Options
	runtimeAsked bool
	runtime      string
	tasks        *taskState
	verdicts     []verdict
	pods         int
	boot         time.Time
	warnings     []string
}

// Scan finds stale processes in every pod of the inventory (or in
// opts.Pod): processes in a pod's cgroup or netns whose container the
// runtime does not know, knows as exited, or whose pod sandbox it no
// longer lists. Without a runtime it judges by the runtime's task state
// directories, and fails with ErrNoRuntimeState when there are none.
func Scan(inv *node.Inventory, opts Options) (*Result, error) {
	j, err := judge(inv, opts, true)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Stale: []Group{}, RuntimeAsked: j.runtimeAsked, Runtime: j.runtime,
		PodsChecked: j.pods, ProcsChecked: len(j.verdicts), Warnings: j.warnings,
	}
	if !j.runtimeAsked {
		res.TaskDirs = j.tasks.dirs()
	}
	type key struct {
		pod       *podRef
		container string
		reason    string
		netnsOnly bool
	}
	index := map[key]int{}
	var groups []Group
	var byNetnsOnly []bool // the group is in its pod by netns alone
	for _, v := range j.verdicts {
		if v.reason == "" {
			continue
		}
		k := key{v.pod, v.proc.Container, v.reason, v.netnsOnly}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, Group{
				Namespace: v.pod.namespace, Pod: v.pod.name, PodUID: v.pod.uid,
				ContainerID: v.proc.Container, ContainerName: v.pod.names[v.proc.Container],
				Reason: v.reason, Detail: j.detail(v), RuntimeAsked: j.runtimeAsked,
				NetNSInode: v.proc.NetNS, PIDs: []int{}, Listening: []Listener{},
			})
			byNetnsOnly = append(byNetnsOnly, v.netnsOnly)
		}
		g := &groups[i]
		g.PIDs = append(g.PIDs, v.proc.PID)
		p := Process{PID: v.proc.PID, PPID: v.proc.PPID, Comm: v.proc.Comm, Cmdline: cmdline(j.opts.ProcRoot, v.proc), StartTime: v.proc.StartTime, Cgroup: v.proc.Cgroup, netns: v.proc.NetNS}
		if t := startedAt(j.boot, v.proc.StartTime); !t.IsZero() {
			p.Started = t.Format(time.RFC3339)
		}
		g.Processes = append(g.Processes, p)
	}
	if !opts.NoSockets || anyNetnsOnly(j.verdicts) {
		lk := newSocketLookup(j.opts.ProcRoot)
		for i := range groups {
			g := &groups[i]
			for _, p := range g.Processes {
				ls, err := lk.listening(p.PID, p.netns)
				if err != nil {
					res.Warnings = append(res.Warnings, err.Error())
				}
				g.Listening = append(g.Listening, ls...)
			}
		}
	}
	kept := groups[:0]
	for i, g := range groups {
		// In the pod's netns only: stale when it holds a port there.
		if g.Reason == ReasonNoContainer && byNetnsOnly[i] && len(g.Listening) == 0 {
			continue
		}
		if opts.NoSockets {
			g.Listening = []Listener{}
		}
		kept = append(kept, g)
	}
	groups = kept
	sort.SliceStable(groups, func(a, b int) bool {
		x, y := &groups[a], &groups[b]
		if x.Namespace != y.Namespace {
			return x.Namespace < y.Namespace
		}
		if x.Pod != y.Pod {
			return x.Pod < y.Pod
		}
		if x.PodUID != y.PodUID {
			return x.PodUID < y.PodUID
		}
		if x.ContainerID != y.ContainerID {
			return x.ContainerID < y.ContainerID
		}
		return x.Reason < y.Reason
	})
	if groups != nil {
		res.Stale = groups
	}
	return res, nil
}

func anyNetnsOnly(vs []verdict) bool {
	for _, v := range vs {
		if v.netnsOnly && v.reason != "" {
			return true
		}
	}
	return false
}

// judge reads /proc once and judges every process of every pod. Without a
// runtime and its task state, strict fails with ErrNoRuntimeState.
func judge(inv *node.Inventory, opts Options, strict bool) (*judgement, error) {
	opts.defaults()
	j := &judgement{opts: opts, warnings: []string{}, boot: bootTime(opts.ProcRoot)}
	for _, s := range inv.Sources {
		if s == node.SourceCRI || s == node.SourceDocker {
			j.runtimeAsked = true
		}
	}
	j.runtime = inv.Runtime
	if !j.runtimeAsked {
		j.tasks = findTaskState(opts.HostRoot, opts.TaskDirs)
		if !j.tasks.usable() && strict {
			return nil, fmt.Errorf("find stale containers: %w", ErrNoRuntimeState)
		}
	}

	// Pods of the inventory, by UID and by netns.
	var refs []*podRef
	byUID := map[string]*podRef{}
	byNetNS := map[uint64]*podRef{}
	netns := map[uint64]bool{}
	known := map[string]bool{} // UIDs of every pod of the inventory
	for i := range inv.Pods {
		p := &inv.Pods[i]
		if p.UID != "" {
			known[strings.ToLower(p.UID)] = true
		}
		if opts.Pod != nil && !samePod(p, opts.Pod) {
			continue
		}
		r := &podRef{pod: p, namespace: p.Namespace, name: p.Name, uid: p.UID, netns: p.NetNS.Inode, names: map[string]string{}}
		for _, s := range p.Sources {
			if s == node.SourceCRI || s == node.SourceDocker {
				r.fromRT = true
			}
		}
		for _, c := range p.Containers {
			if c.Name != "" {
				r.names[c.ID] = c.Name
			}
		}
		refs = append(refs, r)
		if p.UID != "" {
			byUID[strings.ToLower(p.UID)] = r
		}
		// Host-network pods share the node netns: only cgroups tell their processes.
		if !p.HostNetwork && !p.NetNS.IsZero() && !p.NetNS.Same(inv.NodeNetNS) && p.UID != "" {
			byNetNS[p.NetNS.Inode] = r
			netns[p.NetNS.Inode] = true
		}
	}
	j.pods = len(refs)

	procs, err := snapshot(opts.ProcRoot, netns)
	if err != nil {
		return nil, fmt.Errorf("find stale containers: %w", err)
	}

	// This node's kubepods roots, from processes of the pods it knows: a pod
	// only cgroups name is this node's when it lives under one of them (hosts
	// running several nodes, such as kind, show every node's processes).
	roots := map[string]bool{}
	for _, p := range procs {
		if p.PodUID != "" && known[strings.ToLower(p.PodUID)] {
			if root := kubepodsRoot(p.Cgroup); root != "" {
				roots[root] = true
			}
		}
	}
	if len(roots) == 0 {
		roots["/kubepods"], roots["/kubepods.slice"] = true, true
	}
	// A runtime that answered but lists none of the pods running here is not
	// the one kubelet uses (Docker beside a containerd with its socket in an
	// unusual place): believing it would call every pod stale.
	if j.runtimeAsked && !anyRuntimePod(inv) {
		for _, p := range procs {
			if p.PodUID != "" && roots[kubepodsRoot(p.Cgroup)] {
				j.runtimeAsked = false
				j.warnings = append(j.warnings, fmt.Sprintf("the runtime that answered (%s) lists none of the pods running here; is it the one kubelet uses? (--runtime-endpoint names it) Judging by task state instead", orUnknown(inv.Runtime, inv.Sources)))
				j.tasks = findTaskState(opts.HostRoot, opts.TaskDirs)
				if !j.tasks.usable() && strict {
					return nil, fmt.Errorf("find stale containers: %w", ErrNoRuntimeState)
				}
				break
			}
		}
	}
	orphans := map[string]*podRef{}

	for _, p := range procs {
		if opts.AskedAt != 0 && p.StartTime > opts.AskedAt {
			continue // started after the runtime answered
		}
		var r *podRef
		netnsOnly := false
		if p.PodUID != "" {
			r = byUID[strings.ToLower(p.PodUID)]
			if r == nil && known[strings.ToLower(p.PodUID)] {
				continue // a pod of the inventory that opts.Pod leaves out
			}
			if r == nil {
				if !roots[kubepodsRoot(p.Cgroup)] {
					continue // another node's pod
				}
				if opts.Pod != nil && !strings.EqualFold(opts.Pod.UID, p.PodUID) {
					continue
				}
				key := strings.ToLower(p.PodUID)
				if r = orphans[key]; r == nil {
					r = &podRef{uid: p.PodUID, netns: p.NetNS, names: map[string]string{}}
					r.namespace, r.name = podNameFromLogs(opts.HostRoot, p.PodUID)
					orphans[key] = r
					refs = append(refs, r)
					j.pods++
				}
			}
		} else {
			r = byNetNS[p.NetNS]
			netnsOnly = true
		}
		if r == nil {
			continue
		}
		j.verdicts = append(j.verdicts, j.judgeOne(p, r, netnsOnly))
	}
	return j, nil
}

func anyRuntimePod(inv *node.Inventory) bool {
	for _, p := range inv.Pods {
		for _, s := range p.Sources {
			if s == node.SourceCRI || s == node.SourceDocker {
				return true
			}
		}
	}
	return false
}

func orUnknown(runtime string, sources []string) string {
	if runtime != "" {
		return runtime
	}
	return strings.Join(sources, ", ")
}

// judgeOne decides whether one process of pod r is stale.
func (j *judgement) judgeOne(p procInfo, r *podRef, netnsOnly bool) verdict {
	v := verdict{proc: p, pod: r, netnsOnly: netnsOnly}
	if j.runtimeAsked && !r.fromRT {
		// The runtime answered and lists no sandbox of this pod.
		v.state = node.StateNotInRuntime
		v.reason = ReasonSandboxGone
		return v
	}
	if p.Container == "" {
		v.reason = ReasonNoContainer
		return v
	}
	if j.runtimeAsked {
		pod := r.pod
		if p.Container == pod.SandboxID {
			v.state, v.known = "sandbox", true
			if pod.SandboxState != "" && pod.SandboxState != "ready" {
				v.state = "sandbox " + pod.SandboxState
				v.reason = ReasonSandboxNotReady
			}
			return v
		}
		for _, c := range pod.Containers {
			if c.ID != p.Container || c.State == node.StateNotInRuntime || c.State == "" {
				continue
			}
			v.state, v.known = c.State, true
			// "created" is a container starting (runc init); "unknown" the
			// runtime cannot tell: neither is proof of a stale process.
			if c.State == "exited" {
				v.reason = ReasonExited
			}
			return v
		}
		v.state = node.StateNotInRuntime
		v.reason = ReasonNotInRuntime
		return v
	}
	found, judged := j.tasks.has(p.Container, p.Runtime)
	switch {
	case found:
		v.known = true
	case judged:
		v.reason = ReasonNoTaskState
	}
	return v
}

func (j *judgement) detail(v verdict) string {
	rt := "the runtime"
	if j.runtime != "" {
		rt = j.runtime
	}
	id := shortID(v.proc.Container)
	switch v.reason {
	case ReasonNotInRuntime:
		return fmt.Sprintf("container %s is unknown to %s, but its processes still run", id, rt)
	case ReasonExited:
		return fmt.Sprintf("%s lists container %s as exited, but its processes still run", rt, id)
	case ReasonSandboxGone:
		return fmt.Sprintf("%s lists no sandbox of pod %s, but its processes still run", rt, v.pod.uid)
	case ReasonSandboxNotReady:
		return fmt.Sprintf("sandbox %s is %s, but its pause process still runs", id, strings.TrimPrefix(v.state, "sandbox "))
	case ReasonNoTaskState:
		return fmt.Sprintf("the runtime could not be asked; container %s has no task state in %s", id, strings.Join(j.tasks.dirs(), ", "))
	case ReasonNoContainer:
		if v.netnsOnly {
			return "runs in the pod's network namespace outside any container and listens there"
		}
		return "runs in the pod's cgroup outside any container"
	}
	return ""
}

// samePod reports whether p is the pod want names.
func samePod(p, want *node.Pod) bool {
	if p == want {
		return true
	}
	if want.UID != "" || p.UID != "" {
		return strings.EqualFold(p.UID, want.UID)
	}
	if want.SandboxID != "" || p.SandboxID != "" {
		return p.SandboxID == want.SandboxID
	}
	return !want.NetNS.IsZero() && p.NetNS.Same(want.NetNS)
}

// kubepodsRoot is the part of a pod cgroup path before the pod and its QoS
// class: "/kubepods", "/kubepods.slice", "/kubelet.slice/kubelet-kubepods.slice".
func kubepodsRoot(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if !isPodSegment(seg) {
			continue
		}
		end := i
		if end > 0 {
			switch q := segs[end-1]; {
			case q == "burstable", q == "besteffort", strings.HasSuffix(q, "kubepods-burstable.slice"), strings.HasSuffix(q, "kubepods-besteffort.slice"):
				end--
			}
		}
		return strings.Join(segs[:end], "/")
	}
	return ""
}

func isPodSegment(seg string) bool {
	if strings.HasSuffix(seg, ".slice") {
		return strings.Contains(seg, "-pod")
	}
	return strings.HasPrefix(seg, "pod") && len(seg) > 3
}

// podNameFromLogs finds namespace and name of a pod by UID from kubelet's
// log directories, /var/log/pods/NAMESPACE_NAME_UID.
func podNameFromLogs(hostRoot, uid string) (namespace, name string) {
	m, _ := filepath.Glob(filepath.Join(hostRoot, "var/log/pods", "*_*_"+uid))
	for _, d := range m {
		base := strings.TrimSuffix(filepath.Base(d), "_"+uid)
		if ns, n, ok := strings.Cut(base, "_"); ok {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				return ns, n
			}
		}
	}
	return "", ""
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
