package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
)

// scanProcs reads the cgroup of every process under procRoot, or only of
// the processes in only (with their netns) when the netns scan gave that
// list, and returns the processes that run in a pod or container cgroup,
// sorted by PID. Processes that exit during the scan are skipped.
func scanProcs(procRoot string, only map[int]nsutil.ID) ([]Process, error) {
	var pids []int
	if only != nil {
		pids = make([]int, 0, len(only))
		for pid := range only {
			pids = append(pids, pid)
		}
	} else {
		d, err := os.Open(procRoot)
		if err != nil {
			return nil, fmt.Errorf("read processes: %w", err)
		}
		names, err := d.Readdirnames(-1)
		d.Close()
		if err != nil {
			return nil, fmt.Errorf("read processes: %w", err)
		}
		for _, name := range names {
			if pid, err := strconv.Atoi(name); err == nil && pid > 0 {
				pids = append(pids, pid)
			}
		}
	}
	var out []Process
	buf := make([]byte, 0, 4096)
	for _, pid := range pids {
		dir := filepath.Join(procRoot, strconv.Itoa(pid))
		var err error
		buf, err = readInto(buf, filepath.Join(dir, "cgroup"))
		if err != nil {
			continue
		}
		// Every pod cgroup path has "kubepods", and the runtime containers
		// ParseCgroup knows outside pods are .scope units. Most processes
		// have neither: skip parsing them.
		if !bytes.Contains(buf, []byte("kubepods")) && !bytes.Contains(buf, []byte(".scope")) {
			continue
		}
		info, err := parseCgroupBytes(buf)
		if err != nil || (info.PodUID == "" && info.ContainerID == "") {
			continue
		}
		p := Process{PID: pid, PodUID: info.PodUID, ContainerID: info.ContainerID, Runtime: info.Runtime}
		if id, ok := only[pid]; ok {
			p.NetNS = NetNSRef{Inode: id.Ino, Dev: id.Dev}
		} else {
			ref, err := statNetNS(filepath.Join(dir, "ns", "net"))
			if err != nil {
				continue // exited, or a zombie: it holds no netns
			}
			ref.Path = ""
			p.NetNS = ref
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

// procDetails fills in Comm, PPID, StartTime and Cmdline. It runs only for
// the processes Load keeps: a host that runs other nodes (kind, labs) can have
// thousands of pod processes that are not this node's. It returns false when
// the process has exited since the scan: a start time of 0 would make it the
// pod's oldest process.
func procDetails(procRoot string, p *Process) bool {
	dir := filepath.Join(procRoot, strconv.Itoa(p.PID))
	buf := make([]byte, 0, 1024)
	b, err := readInto(buf, filepath.Join(dir, "stat"))
	if err != nil {
		return false
	}
	if st, err := ParseStat(b); err == nil {
		p.Comm, p.PPID, p.StartTime = st.Comm, st.PPID, st.StartTime
	}
	if b, err := readInto(b, filepath.Join(dir, "cmdline")); err == nil || errors.Is(err, hostfile.ErrTooLarge) {
		p.Cmdline = strings.TrimSpace(string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '})))
	}
	return true
}

// maxProcFile bounds what is read of one /proc/PID file; cgroup and stat
// lines are far shorter, and a longer cmdline is cut.
const maxProcFile = 64 << 10

// readInto reads a /proc/PID file reusing buf (see hostfile.ReadProcInto).
func readInto(buf []byte, path string) ([]byte, error) {
	return hostfile.ReadProcInto(buf, path, maxProcFile)
}
