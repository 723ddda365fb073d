package stale

import (
	"os"
	"path/filepath"

	"github.com/netdiag/netdiag/node"
)

// taskRoot is a directory in which a runtime keeps one entry per container
// it runs, named by container ID. When the runtime cannot be asked, an ID
// with no entry in any such directory is a container the runtime has lost.
type taskRoot struct {
	Runtime string // node.Runtime* of the runtime that owns it
	Dir     string // relative to the host root, or absolute for Options.TaskDirs
	File    string // the entry is Dir/ID/File ("" : the directory itself)
}

// taskRoots are the usual places, relative to the host root.
var taskRoots = []taskRoot{
	// containerd's shim v2 tasks of the CRI namespace, and runc's state.
	{node.RuntimeContainerd, "run/containerd/io.containerd.runtime.v2.task/k8s.io", ""},
	{node.RuntimeContainerd, "run/containerd/io.containerd.runtime.v1.linux/k8s.io", ""},
	{node.RuntimeContainerd, "run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io", ""},
	// CRI-O: runc's (or crun's) state directory, and its per-container run dir.
	{node.RuntimeCRIO, "run/runc", "state.json"},
	{node.RuntimeCRIO, "run/crun", "status"},
	{node.RuntimeCRIO, "run/containers/storage/overlay-containers", "userdata"},
	// Docker (dockershim, cri-dockerd): its containerd tasks and runc state.
	{node.RuntimeDocker, "run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby", ""},
	{node.RuntimeDocker, "run/docker/runtime-runc/moby", "state.json"},
}

// taskState tells whether a runtime still holds a container, from its files.
type taskState struct {
	roots []taskRoot // those that exist
}

// findTaskState returns the task roots present under hostRoot, plus extra
// directories (absolute, any runtime).
func findTaskState(hostRoot string, extra []string) *taskState {
	ts := &taskState{}
	for _, r := range taskRoots {
		d := filepath.Join(hostRoot, r.Dir)
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			ts.roots = append(ts.roots, taskRoot{r.Runtime, d, r.File})
		}
	}
	for _, d := range extra {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			ts.roots = append(ts.roots, taskRoot{"", d, ""})
		}
	}
	return ts
}

// usable reports whether any runtime state was found.
func (ts *taskState) usable() bool { return len(ts.roots) > 0 }

// dirs lists the roots, for messages.
func (ts *taskState) dirs() []string {
	out := make([]string, len(ts.roots))
	for i, r := range ts.roots {
		out[i] = r.Dir
	}
	return out
}

// has reports whether a container has an entry under some root. runtime
// (from a systemd scope name) limits the roots to that runtime's; "" tries
// all. judged is false when no root of that runtime exists: its containers
// cannot be told from lost ones.
func (ts *taskState) has(id, runtime string) (found, judged bool) {
	for _, r := range ts.roots {
		if runtime != "" && r.Runtime != "" && r.Runtime != runtime {
			continue
		}
		judged = true
		if id == "" || !validID(id) {
			continue
		}
		if _, err := os.Stat(filepath.Join(r.Dir, id, r.File)); err == nil {
			return true, true
		}
	}
	return false, judged
}

// validID keeps path separators and dots out of a directory lookup.
func validID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
