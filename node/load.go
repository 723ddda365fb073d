package node

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
)

// ErrPermission means netdiag lacks the privilege to read other processes'
// namespaces.
var ErrPermission = errors.New("needs CAP_SYS_ADMIN and CAP_SYS_PTRACE to read other processes' namespaces: run as root")

// Load reads every source it can reach and merges what they say into one list
// of pods. A source that fails adds a warning; Load fails only when the node
// netns cannot be opened, /proc cannot be read, or privileges are missing.
func Load(ctx context.Context, o Options) (*Inventory, error) {
	if o.HostRoot == "" {
		o.HostRoot = "/"
	}
	if o.NodeNetNS == "" {
		o.NodeNetNS = DefaultNodeNetNS
	}
	realProc := o.ProcRoot == "" || o.ProcRoot == "/proc"
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	if realProc {
		if err := checkPrivileges(); err != nil {
			return nil, fmt.Errorf("list pods: %w", err)
		}
	}
	var eps []string
	if !o.NoRuntime {
		var err error
		if eps, err = criEndpoints(o.RuntimeEndpoint, o.HostRoot); err != nil {
			return nil, err
		}
	}
	nodeNS, err := OpenNode(o.NodeNetNS)
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	defer nodeNS.Close()
	inv := &Inventory{
		NodeNetNS: NetNSRef{Inode: nodeNS.ID().Ino, Dev: nodeNS.ID().Dev, Path: o.NodeNetNS},
		Pods:      []Pod{}, Sources: []string{}, Warnings: []string{}, Processes: []Process{},
	}
	f := found{node: inv.NodeNetNS, hostRoot: o.HostRoot, procRoot: o.ProcRoot, runtimeAnswered: map[string]bool{}}

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		warnings []string
		answered = map[string]bool{}
	)
	warn := func(err error) {
		mu.Lock()
		warnings = append(warnings, strings.ReplaceAll(err.Error(), "\n", "; "))
		mu.Unlock()
	}
	ok := func(src string) {
		mu.Lock()
		answered[src] = true
		mu.Unlock()
	}

	// The netns scan runs first: it lists every process's netns, so the
	// process scan then reads the cgroups of only the processes that can be
	// this node's (on hosts running several nodes most are not). CRI waits for
	// the processes only to decide which ContainerStatus calls it can skip.
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		if o.NoNetNSScan {
			return
		}
		scan, err := scanNetNS(o.ProcRoot, o.HostRoot, nodeNS)
		if err != nil {
			warn(err)
			return
		}
		for _, w := range scan.Warnings {
			warn(errors.New(w))
		}
		ok(SourceNetNS)
		mu.Lock()
		f.scan = scan
		mu.Unlock()
	}()
	procsDone := make(chan struct{})
	var (
		procs    []Process
		procsErr error
		procCIDs map[string]bool
	)
	go func() {
		defer close(procsDone)
		<-scanDone
		var only map[int]nsutil.ID
		if f.scan != nil {
			only = f.scan.NodePIDs
		}
		procs, procsErr = scanProcs(o.ProcRoot, only)
		procCIDs = make(map[string]bool, len(procs))
		for _, p := range procs {
			procCIDs[p.ContainerID] = true
		}
	}()
	hasProcs := func(id string) bool {
		<-procsDone
		return procCIDs[id]
	}

	if !o.NoRuntime {
		if len(eps) == 0 {
			warn(fmt.Errorf("CRI: no runtime socket found under %s (--runtime-endpoint names one)", o.HostRoot))
		}
		for _, ep := range eps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pods, name, err := loadCRI(ctx, ep, hasProcs)
				if err != nil {
					warn(err)
				}
				if pods != nil || (err == nil) {
					ok(SourceCRI)
					mu.Lock()
					f.runtime = append(f.runtime, pods...)
					if inv.Runtime == "" {
						inv.Runtime = name
					}
					mu.Unlock()
				}
			}()
		}
		if sock := dockerSocket(o.HostRoot); sock != "" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pods, err := loadDocker(ctx, sock)
				if err != nil {
					warn(err)
				}
				if pods != nil || err == nil {
					ok(SourceDocker)
					mu.Lock()
					f.runtime = append(f.runtime, pods...)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		k := loadKubelet(o.HostRoot)
		names := containerLogNames(o.HostRoot)
		mu.Lock()
		f.kubelet, f.containerNames = k, names
		mu.Unlock()
		if k.found {
			ok(SourceKubelet)
		}
	}()

	<-procsDone
	wg.Wait()
	if procsErr != nil {
		return nil, fmt.Errorf("list pods: %w", procsErr)
	}
	ok(SourceCgroup)
	// Details only for processes that may be this node's: in the node netns,
	// in a netns attached to it, or in a pod a runtime reported.
	runtimeUIDs := map[string]bool{}
	for _, rp := range f.runtime {
		runtimeUIDs[strings.ToLower(rp.UID)] = true
	}
	live := procs[:0]
	for i := range procs {
		p := &procs[i]
		id := nsutil.ID{Dev: p.NetNS.Dev, Ino: p.NetNS.Inode}
		if f.scan == nil || p.NetNS.Same(inv.NodeNetNS) || f.scan.Attached[id] || runtimeUIDs[strings.ToLower(p.PodUID)] {
			if !procDetails(o.ProcRoot, p) {
				continue // exited since the scan
			}
		}
		live = append(live, *p)
	}
	f.procs = live
	for src := range answered {
		if src == SourceCRI || src == SourceDocker {
			f.runtimeAnswered[src] = true
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}

	var mw []string
	inv.Pods, inv.Processes, mw = merge(f)
	var hostIPs []string
	for i := range inv.Pods {
		if p := &inv.Pods[i]; p.HostNetwork && len(p.IPs) == 0 {
			if hostIPs == nil {
				hostIPs = hostNetworkIPs(o, nodeNS)
			}
			p.IPs = append([]string(nil), hostIPs...)
		}
	}
	if inv.Processes == nil {
		inv.Processes = []Process{}
	}
	for src := range answered {
		inv.Sources = addSource(inv.Sources, src)
	}
	sort.Strings(warnings)
	inv.Warnings = append(append(inv.Warnings, warnings...), mw...)
	return inv, nil
}

// Capability bits of capabilities(7).
const (
	capSysPtrace = 19
	capSysAdmin  = 21
)

// checkPrivileges reads CapEff from /proc/self/status: reading /proc/PID/ns/net
// of other users' processes needs CAP_SYS_PTRACE, entering a netns CAP_SYS_ADMIN.
func checkPrivileges() error {
	b, err := hostfile.ReadFile("/proc/self/status", maxProcFile)
	if err != nil {
		return nil // cannot tell; the reads themselves will say
	}
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(line, "CapEff:")
		if !ok {
			continue
		}
		caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return nil
		}
		var missing []string
		if caps&(1<<capSysAdmin) == 0 {
			missing = append(missing, "CAP_SYS_ADMIN")
		}
		if caps&(1<<capSysPtrace) == 0 {
			missing = append(missing, "CAP_SYS_PTRACE")
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w (missing %s)", ErrPermission, strings.Join(missing, ", "))
		}
		return nil
	}
	return nil
}

// DefaultNodeNetNS is the node netns when none is given: PID 1's.
const DefaultNodeNetNS = "/proc/1/ns/net"
