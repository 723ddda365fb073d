package node

import (
	"errors"
	"strconv"
)

// Source names, as they appear in Pod.Sources and Inventory.Sources.
const (
	SourceCRI     = "cri"     // a CRI runtime (containerd, CRI-O, cri-dockerd)
	SourceDocker  = "docker"  // the Docker Engine API
	SourceKubelet = "kubelet" // /var/log/pods and /var/lib/kubelet/pods
	SourceCgroup  = "cgroup"  // /proc/PID/cgroup of every process
	SourceNetNS   = "netns"   // a scan of every network namespace on the node
)

// StateNotInRuntime is the state of a container that processes' cgroups name
// but that the runtime, which answered, does not list: a stale container.
const StateNotInRuntime = "not-in-runtime"

// Sentinel errors of Resolve; test with errors.Is.
var (
	// ErrNoPod means no pod matches the selector.
	ErrNoPod = errors.New("no such pod")
	// ErrAmbiguous means more than one pod matches the selector.
	ErrAmbiguous = errors.New("selector matches more than one pod")
	// ErrBadSelector means the selector itself is malformed (not an IP, not a PID…).
	ErrBadSelector = errors.New("bad pod selector")
	// ErrPodGone means the pod was found but its netns is gone now.
	ErrPodGone = errors.New("pod is gone")
)

// NetNSRef names a network namespace: its inode (what `ls -Li` and `lsns` show)
// and a path that opens it. Dev is kept to compare namespaces exactly.
type NetNSRef struct {
	Inode uint64 `json:"inode"`
	Dev   uint64 `json:"-"`
	Path  string `json:"path"`
}

// IsZero reports whether the namespace is unknown.
func (r NetNSRef) IsZero() bool { return r.Inode == 0 }

// Same reports whether both refer to the same namespace; an unknown Dev
// (0) compares by inode only.
func (r NetNSRef) Same(o NetNSRef) bool {
	if r.Inode == 0 || r.Inode != o.Inode {
		return false
	}
	return r.Dev == 0 || o.Dev == 0 || r.Dev == o.Dev
}

// String returns "net:[INODE]" as /proc/PID/ns/net links read.
func (r NetNSRef) String() string { return "net:[" + strconv.FormatUint(r.Inode, 10) + "]" }

// Iface is the pod's own interface (eth0) inside its netns.
type Iface struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
	MTU   int    `json:"mtu"`
}

// HostIface is the node-side end of the pod's veth.
type HostIface struct {
	Name   string `json:"name"`
	Index  int    `json:"index"`
	MTU    int    `json:"mtu"`
	Master string `json:"master"` // bridge or "" (routed CNIs such as Calico, GKE)
	Up     bool   `json:"up"`
}

// Container is one container of a pod. State is the runtime's word in lower
// case ("running", "exited", "created", "unknown"), "" when no runtime
// answered, or StateNotInRuntime.
type Container struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
	PIDs  []int  `json:"pids"`
}

// Pod is one pod on this node as the sources together see it. Any field may be
// empty when no source knew it.
type Pod struct {
	Namespace     string      `json:"namespace"`
	Name          string      `json:"name"`
	UID           string      `json:"uid"`
	IPs           []string    `json:"ips"`
	PID           int         `json:"pid"` // sandbox (pause) process, else any process of the pod
	NetNS         NetNSRef    `json:"netns"`
	Interface     *Iface      `json:"interface"`
	HostInterface *HostIface  `json:"hostInterface"`
	Containers    []Container `json:"containers"`
	Sources       []string    `json:"sources"`
	SandboxID     string      `json:"sandboxId,omitempty"`
	SandboxState  string      `json:"sandboxState,omitempty"` // "ready", "notready"
	HostNetwork   bool        `json:"hostNetwork,omitempty"`
}

// FullName returns "namespace/name", or what is known of it: the UID, an IP or
// the netns.
func (p *Pod) FullName() string {
	switch {
	case p.Name != "" && p.Namespace != "":
		return p.Namespace + "/" + p.Name
	case p.Name != "":
		return p.Name
	case p.UID != "":
		return "pod " + p.UID
	case len(p.IPs) > 0:
		return "pod " + p.IPs[0]
	}
	return "pod in " + p.NetNS.String()
}

// Process is one process of the node that runs in a pod's or container's cgroup.
type Process struct {
	PID         int      `json:"pid"`
	PPID        int      `json:"ppid"`
	Comm        string   `json:"comm"`
	Cmdline     string   `json:"cmdline"` // arguments joined by spaces
	PodUID      string   `json:"podUid"`
	ContainerID string   `json:"containerId"`
	Runtime     string   `json:"runtime,omitempty"` // from the cgroup scope name
	NetNS       NetNSRef `json:"netns"`
	StartTime   uint64   `json:"startTime"` // clock ticks after boot, field 22 of /proc/PID/stat
}

// Options says where the node is.
type Options struct {
	// HostRoot is where the node's files are ("" means /).
	HostRoot string
	// NodeNetNS is the path of the node netns ("" means /proc/1/ns/net).
	NodeNetNS string
	// RuntimeEndpoint is the CRI socket ("unix:///path" or a path); "" probes
	// the usual sockets under HostRoot.
	RuntimeEndpoint string
	// ProcRoot is where procfs is ("" means /proc); tests point it at fixtures.
	ProcRoot string
	// NoRuntime skips CRI and Docker, leaving kubelet files, cgroups and the netns scan.
	NoRuntime bool
	// NoNetNSScan skips entering every netns (no IPs or veths for pods the
	// runtime does not describe).
	NoNetNSScan bool
}

// Inventory is what Load found.
type Inventory struct {
	Pods      []Pod     `json:"pods"`
	Sources   []string  `json:"sources"`   // sources that answered
	Warnings  []string  `json:"warnings"`  // sources that failed, and why
	Processes []Process `json:"processes"` // processes in a pod or container cgroup
	NodeNetNS NetNSRef  `json:"nodeNetns"`
	// Runtime names the CRI runtime that answered ("containerd 1.6.20"), if any.
	Runtime string `json:"runtime,omitempty"`
}
