package stale

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/node"
)

// userHZ is the unit of /proc/PID/stat's starttime: sysconf(_SC_CLK_TCK),
// which Linux fixes at 100 for user space.
const userHZ = 100

// procInfo is what one pass over /proc tells about a process.
type procInfo struct {
	PID       int
	PPID      int
	Comm      string
	State     byte
	StartTime uint64 // clock ticks after boot, field 22 of /proc/PID/stat
	NetNS     uint64 // inode of its netns, from the /proc/PID/ns/net link
	PodUID    string
	Container string
	Runtime   string
	Cgroup    string // the cgroup path that named its pod or container, else the first
}

// snapshot is every process of procRoot that is in a pod cgroup or in one of
// the given namespaces; other processes are dropped after reading two files.
func snapshot(procRoot string, netns map[uint64]bool) ([]procInfo, error) {
	d, err := os.Open(procRoot)
	if err != nil {
		return nil, fmt.Errorf("read processes: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("read processes: %w", err)
	}
	var out []procInfo
	buf := make([]byte, 0, 4096)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 {
			continue
		}
		dir := procRoot + "/" + name
		link, err := os.Readlink(dir + "/ns/net")
		if err != nil {
			continue // exited, a zombie, or a kernel thread without a netns
		}
		ino, ok := parseNSLink(link)
		if !ok {
			continue
		}
		if buf, err = readSmall(buf, dir+"/cgroup"); err != nil {
			continue
		}
		info, err := node.ParseCgroup(bytes.NewReader(buf))
		if err != nil {
			continue
		}
		if info.PodUID == "" && !netns[ino] {
			continue
		}
		p := procInfo{PID: pid, NetNS: ino, PodUID: info.PodUID, Container: info.ContainerID, Runtime: info.Runtime, Cgroup: primaryCgroup(info)}
		if buf, err = readSmall(buf, dir+"/stat"); err != nil {
			continue
		}
		st, err := node.ParseStat(buf)
		if err != nil || st.State == 'Z' || st.State == 'X' {
			continue
		}
		p.Comm, p.PPID, p.State, p.StartTime = st.Comm, st.PPID, st.State, st.StartTime
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

// cmdline reads a process's command line (only for those reported: reading
// every one costs a third of a scan), or "[comm]" when it has none.
func cmdline(procRoot string, p procInfo) string {
	b, err := readSmall(nil, procRoot+"/"+strconv.Itoa(p.PID)+"/cmdline")
	if s := joinCmdline(b); (err == nil || errors.Is(err, hostfile.ErrTooLarge)) && s != "" {
		return s
	}
	return "[" + p.Comm + "]"
}

// primaryCgroup is the path that names the pod (or container) when one does,
// so that a later check compares the path that matters.
func primaryCgroup(info node.CgroupInfo) string {
	for _, p := range info.Paths {
		if info.ContainerID != "" && strings.Contains(p, info.ContainerID) {
			return p
		}
	}
	for _, p := range info.Paths {
		if info.PodUID != "" && strings.Contains(strings.ReplaceAll(p, "_", "-"), info.PodUID) {
			return p
		}
	}
	if len(info.Paths) > 0 {
		return info.Paths[0]
	}
	return ""
}

// parseNSLink reads "net:[INODE]", the target of /proc/PID/ns/net.
func parseNSLink(s string) (uint64, bool) {
	v, ok := strings.CutPrefix(s, "net:[")
	if !ok {
		return 0, false
	}
	v, ok = strings.CutSuffix(v, "]")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil && n != 0
}

func joinCmdline(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

// maxProcFile bounds what is read of one /proc/PID file; cgroup and stat
// lines are far shorter, and a longer cmdline is cut.
const maxProcFile = 64 << 10

// readSmall reads a /proc/PID file (which reports size 0) into buf.
func readSmall(buf []byte, path string) ([]byte, error) {
	return hostfile.ReadProcInto(buf, path, maxProcFile)
}

// socketInodes lists the sockets a process holds open, from /proc/PID/fd.
func socketInodes(procRoot string, pid int) map[uint32]bool {
	dir := filepath.Join(procRoot, strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := map[uint32]bool{}
	for _, e := range ents {
		link, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		v, ok := strings.CutPrefix(link, "socket:[")
		if !ok {
			continue
		}
		v, ok = strings.CutSuffix(v, "]")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(v, 10, 32); err == nil {
			out[uint32(n)] = true
		}
	}
	return out
}

// maxProcStat bounds /proc/stat, which grows with CPUs and interrupts.
const maxProcStat = 16 << 20

// bootTime reads btime from procRoot/stat: the wall-clock time of boot.
func bootTime(procRoot string) time.Time {
	b, err := hostfile.ReadFile(filepath.Join(procRoot, "stat"), maxProcStat)
	if err != nil {
		return time.Time{}
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(s, 0)
			}
		}
	}
	return time.Time{}
}

// startedAt converts a start time in ticks after boot to wall-clock time.
func startedAt(boot time.Time, ticks uint64) time.Time {
	if boot.IsZero() {
		return time.Time{}
	}
	return boot.Add(time.Duration(ticks) * (time.Second / userHZ)).UTC()
}
