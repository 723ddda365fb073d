package node

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Runtime names ParseCgroup reports from a cgroup scope name.
const (
	RuntimeContainerd = "containerd" // cri-containerd-<id>.scope
	RuntimeCRIO       = "cri-o"      // crio-<id>.scope (crio-conmon-<id>.scope: conmon)
	RuntimeDocker     = "docker"     // docker-<id>.scope
)

// CgroupInfo is what a process's cgroup paths say about it.
type CgroupInfo struct {
	PodUID      string   // metadata.uid with dashes, "" when not in a pod
	ContainerID string   // container (or sandbox, for the pause process) ID
	Runtime     string   // from a systemd scope name; "" for the cgroupfs driver
	QoS         string   // "guaranteed", "burstable", "besteffort", or ""
	Conmon      bool     // CRI-O's conmon of that container, not the container itself
	Paths       []string // distinct cgroup paths, in file order
}

// ParseCgroup reads /proc/PID/cgroup, cgroup v1 ("N:controllers:path" per
// hierarchy) or v2 ("0::path"), and finds the pod UID and container ID in the
// path for either kubelet cgroup driver:
//
//	systemd:  …/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope
//	cgroupfs: …/kubepods/burstable/pod<uid>/<id>
//
// Anything may come before kubepods (kind and other nested nodes). A line
// that is not "N:controllers:path" is an error.
func ParseCgroup(r io.Reader) (CgroupInfo, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return CgroupInfo{}, fmt.Errorf("read cgroup: %w", err)
	}
	return parseCgroupBytes(b)
}

func parseCgroupBytes(b []byte) (CgroupInfo, error) {
	var info CgroupInfo
	line := 0
	for len(b) > 0 {
		var text []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			text, b = b[:i], b[i+1:]
		} else {
			text, b = b, nil
		}
		line++
		if len(text) == 0 {
			continue
		}
		id, rest, ok1 := bytes.Cut(text, []byte(":"))
		_, path, ok2 := bytes.Cut(rest, []byte(":"))
		if !ok1 || !ok2 || len(id) == 0 || !isDigits(string(id)) {
			return CgroupInfo{}, fmt.Errorf("parse cgroup line %d %q: want HIERARCHY:CONTROLLERS:PATH", line, trim(string(text), 80))
		}
		if !containsPath(info.Paths, path) {
			info.Paths = append(info.Paths, string(path))
		}
	}
	// The first path that names a pod wins; v1 hierarchies usually agree, and
	// name=systemd may lag behind on cgroupfs nodes.
	for _, p := range info.Paths {
		if c := parseCgroupPath(p); c.PodUID != "" {
			c.Paths = info.Paths
			return c, nil
		}
	}
	for _, p := range info.Paths {
		if c := parseCgroupPath(p); c.ContainerID != "" {
			c.Paths = info.Paths
			return c, nil
		}
	}
	return info, nil
}

func containsPath(paths []string, p []byte) bool {
	for _, x := range paths {
		if x == string(p) {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// parseCgroupPath finds pod and container in one cgroup path.
func parseCgroupPath(path string) CgroupInfo {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		uid, qos, ok := podSegment(seg)
		if !ok {
			continue
		}
		c := CgroupInfo{PodUID: uid, QoS: qos}
		if qos == "" {
			c.QoS = "guaranteed"
			if i > 0 {
				switch prev := segs[i-1]; prev {
				case "burstable", "besteffort", "kubepods-burstable.slice", "kubepods-besteffort.slice":
					c.QoS = strings.TrimSuffix(strings.TrimPrefix(prev, "kubepods-"), ".slice")
				}
			}
		}
		if i+1 < len(segs) {
			c.ContainerID, c.Runtime, c.Conmon = containerSegment(segs[i+1], true)
		}
		return c
	}
	// Not a pod: a plain runtime container scope ends the path.
	if n := len(segs); n > 0 {
		var c CgroupInfo
		c.ContainerID, c.Runtime, c.Conmon = containerSegment(segs[n-1], false)
		if c.Runtime == "" {
			c.ContainerID = ""
		}
		return c
	}
	return CgroupInfo{}
}

// podSegment recognises "pod<uid>" (cgroupfs) and
// "kubepods[-QOS]-pod<uid_>.slice" (systemd).
func podSegment(seg string) (uid, qos string, ok bool) {
	if s, found := strings.CutSuffix(seg, ".slice"); found {
		// kind and other nodes with a cgroup root prefix the name ("kubelet-kubepods-…").
		i := strings.LastIndex(s, "-pod")
		if i < 0 {
			return "", "", false
		}
		uid = strings.ReplaceAll(s[i+len("-pod"):], "_", "-")
		switch head := s[:i]; {
		case head == "kubepods" || strings.HasSuffix(head, "-kubepods"):
			qos = "guaranteed"
		case strings.HasSuffix(head, "kubepods-burstable"):
			qos = "burstable"
		case strings.HasSuffix(head, "kubepods-besteffort"):
			qos = "besteffort"
		default:
			return "", "", false
		}
		if !isUID(uid) {
			return "", "", false
		}
		return uid, qos, true
	}
	if s, found := strings.CutPrefix(seg, "pod"); found && isUID(s) {
		return s, "", true
	}
	return "", "", false
}

// isUID accepts Kubernetes UIDs: RFC 4122 UUIDs and the 32-hex hashes of
// static pods.
func isUID(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	hex := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			hex++
		case c == '-':
		default:
			return false
		}
	}
	return hex >= 8
}

// containerSegment recognises runtime scope names and, inside a pod cgroup
// (bare), a plain container ID (cgroupfs driver).
func containerSegment(seg string, bare bool) (id, runtime string, conmon bool) {
	if s, ok := strings.CutSuffix(seg, ".scope"); ok {
		for _, p := range []struct{ prefix, runtime string }{
			{"cri-containerd-", RuntimeContainerd},
			{"crio-conmon-", RuntimeCRIO},
			{"crio-", RuntimeCRIO},
			{"docker-", RuntimeDocker},
		} {
			if id, ok := strings.CutPrefix(s, p.prefix); ok && isContainerID(id) {
				return id, p.runtime, p.prefix == "crio-conmon-"
			}
		}
		return "", "", false
	}
	if bare && isContainerID(seg) {
		return seg, "", false
	}
	return "", "", false
}

// isContainerID accepts hex IDs of at least 12 characters (runtimes use 64).
func isContainerID(s string) bool {
	if len(s) < 12 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
