package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/netdiag/netdiag/conntrack"
	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/ipvs"
	"github.com/netdiag/netdiag/kmsg"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/show"
	"github.com/netdiag/netdiag/sockdiag"
	"github.com/netdiag/netdiag/sysctl"
)

// RawOptions ask for the sections a support bundle writes as they were
// read. The zero value reads none of them, so doctor pays nothing for them.
type RawOptions struct {
	// NetNS reads, for the node and each pod: links, addresses, routes of
	// every table and neighbours (ip addr; ip route show table all; ip
	// neigh show nud all), every TCP and UDP socket with the processes
	// owning it, and the sysctls (every net.* of the node, PodSysctls of a
	// pod).
	NetNS bool
	// Rules reads iptables-save -c text of both backends, and the IPVS
	// table.
	Rules bool
	// ConntrackSample keeps the first so many conntrack entries; 0 none.
	ConntrackSample int
	// CNI reads the files of HostRoot/etc/cni/net.d.
	CNI bool
	// KernelLog counts failure lines over the whole kernel log
	// (Raw.KernelEvents) and keeps the last KernelLines network-related
	// lines (0: none).
	KernelLog   bool
	KernelLines int
}

func (o RawOptions) any() bool {
	return o.NetNS || o.Rules || o.ConntrackSample > 0 || o.CNI || o.KernelLog
}

// Raw is what Options.Raw asked for, as read. Each Err says why its part
// is missing; the rest is still there.
type Raw struct {
	IPTables []IPTablesSave
	// NFTErr is why Snapshot.NFT is nil.
	NFTErr error
	IPVS   *ipvs.State
	// IPVSErr is ipvs.ErrNotLoaded when IPVS is not loaded: an answer.
	IPVSErr error
	// ConntrackErr is why the node's conntrack statistics
	// (Snapshot.Conntrack) are missing; conntrack.ErrUnavailable when
	// conntrack is not loaded.
	ConntrackErr       error
	ConntrackSample    []conntrack.Entry
	ConntrackSampleErr error
	CNI                CNIConfig
	// KernelEvents counts failure lines over the whole kernel log (window
	// 0), unlike Snapshot.Kernel, which counts the last hour of the node
	// netns only.
	KernelEvents    []kmsg.Event
	KernelEventsErr error
	// KernelLines are the last network-related log lines, KernelLinesSeen
	// how many there were in the buffer.
	KernelLines     []string
	KernelLinesSeen int
	KernelLinesErr  error
}

// RawNetNS is what Options.Raw.NetNS reads of one netns.
type RawNetNS struct {
	// IP is nil only when the netns could not be entered (IPErr); parts
	// it could not read are in IP.Errors.
	IP    *show.IPState
	IPErr error
	// Sockets are every TCP and UDP socket in every state, with their
	// owning processes.
	Sockets    []sockdiag.Socket
	SocketsErr error
	Sysctls    []sysctl.Param
	SysctlsErr error
	// SysctlsMissing are the PodSysctls a pod's netns does not have.
	SysctlsMissing []string
}

// IPTablesSave is one backend's `iptables-BACKEND-save -c` text.
type IPTablesSave struct {
	Status iptables.BackendStatus
	// Text is the rules as the save binary prints them; without the
	// iptables-nft-save binary, read over netlink and printed the same way
	// (Status.Source is iptables.SourceNetlink). Err says why there is no
	// text.
	Text []byte
	Err  error
	// Ruleset is Text parsed; nil when it did not parse (ParseErr).
	Ruleset  *iptables.Ruleset
	ParseErr error
}

// CNIConfig is the CNI configuration files of a node.
type CNIConfig struct {
	Dir string
	// Err says why Dir could not be listed.
	Err   error
	Files []CNIFile
	// Skipped are the files of Dir that are not CNI configuration.
	Skipped []string
}

// CNIFile is one *.conf, *.conflist or *.json file, as read: secrets are
// still in it.
type CNIFile struct {
	Name string
	Data []byte
	Err  error
}

// Bounds on what raw reading keeps.
const (
	maxCNIFile  = 1 << 20
	maxCNIFiles = 64
)

// PodSysctls are the per-netns sysctls that matter for a pod's traffic;
// IFACE stands for the pod's interface.
var PodSysctls = []string{
	"net.core.somaxconn", "net.ipv4.ip_forward", "net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start", "net.ipv4.ping_group_range",
	"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter", "net.ipv4.conf.IFACE.rp_filter",
	"net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce",
	"net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_timestamps",
	"net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_mtu_probing", "net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.IFACE.disable_ipv6",
	"net.netfilter.nf_conntrack_count",
}

// rawReader reads the raw parts; owners is walked once for all netns.
type rawReader struct {
	o      Options
	owners map[uint32][]sockdiag.Process
}

// netns reads one netns; pod nil is the node.
func (r *rawReader) netns(ns *nsutil.NetNS, pod *node.Pod) *RawNetNS {
	out := &RawNetNS{}
	out.IP, out.IPErr = show.ReadIP(ns, show.IPOptions{Addrs: true, Routes: true, Neighbors: true, AllTables: true, AllStates: true})
	out.Sockets, out.SocketsErr = sockdiag.List(ns, sockdiag.Filter{All: true, NoProcesses: true})
	if len(out.Sockets) > 0 {
		if r.owners == nil {
			r.owners = sockdiag.Owners("/proc")
		}
		for i := range out.Sockets {
			out.Sockets[i].Processes = r.owners[out.Sockets[i].Inode]
		}
	}
	if pod == nil {
		out.Sysctls, out.SysctlsErr = sysctl.Read(ns)
		return out
	}
	iface := "eth0"
	if pod.Interface != nil && pod.Interface.Name != "" {
		iface = pod.Interface.Name
	}
	for _, name := range PodSysctls {
		name = strings.ReplaceAll(name, "IFACE", strings.ReplaceAll(iface, ".", "/"))
		v, err := sysctl.Read(ns, name)
		if err != nil {
			out.SysctlsMissing = append(out.SysctlsMissing, name)
			continue
		}
		out.Sysctls = append(out.Sysctls, v...)
	}
	return out
}

// node reads the node-wide raw parts that need the node netns.
func (r *rawReader) node(s *Snapshot, ns *nsutil.NetNS) {
	if r.o.Raw.NetNS {
		s.Node.Raw = r.netns(ns, nil)
	}
	if r.o.Raw.Rules {
		for _, b := range []iptables.Backend{iptables.Legacy, iptables.NFT} {
			s.Raw.IPTables = append(s.Raw.IPTables, iptablesSave(ns, r.o.Node.HostRoot, b))
		}
		s.Raw.IPVS, s.Raw.IPVSErr = ipvs.Dump(ns)
	}
	if n := r.o.Raw.ConntrackSample; n > 0 {
		err := conntrack.Dump(ns, conntrack.Filter{}, func(e conntrack.Entry) error {
			if len(s.Raw.ConntrackSample) >= n {
				return conntrack.Stop
			}
			s.Raw.ConntrackSample = append(s.Raw.ConntrackSample, e)
			return nil
		})
		if err != nil {
			s.Raw.ConntrackSample, s.Raw.ConntrackSampleErr = nil, err
		}
	}
}

// hostFiles reads the raw parts that need no netns.
func (r *rawReader) hostFiles(s *Snapshot) {
	if r.o.Raw.CNI {
		s.Raw.CNI = ReadCNI(r.o.Node.HostRoot)
	}
	if r.o.Raw.KernelLog {
		s.Raw.KernelEvents, s.Raw.KernelEventsErr = kmsg.Scan(r.o.KernelLog, 0)
		if n := r.o.Raw.KernelLines; n > 0 {
			s.Raw.KernelLines, s.Raw.KernelLinesSeen, s.Raw.KernelLinesErr = kmsg.ReadNetworkLines(r.o.KernelLog, n)
		}
	}
}

// iptablesSave runs iptables-BACKEND-save -c in ns. Without the
// iptables-nft-save binary the same text is read over netlink.
func iptablesSave(ns *nsutil.NetNS, hostRoot string, b iptables.Backend) IPTablesSave {
	st := iptables.BackendStatus{Backend: b}
	out, bin, err := iptables.Save(ns, hostRoot, b)
	st.Binary = bin
	if b == iptables.NFT && errors.Is(err, iptables.ErrNoBinary) {
		if rs, nerr := iptables.Read(ns, false); nerr == nil {
			var buf bytes.Buffer
			if nerr = rs.WriteSave(&buf); nerr == nil {
				out, err, st.Source = buf.Bytes(), nil, iptables.SourceNetlink
			}
		}
	}
	if err != nil {
		st.Error = err.Error()
		return IPTablesSave{Status: st, Err: err}
	}
	sv := IPTablesSave{Text: out}
	if rs, err := iptables.ParseSave(bytes.NewReader(out)); err != nil {
		st.Error = "parse: " + err.Error()
		sv.ParseErr = err
	} else {
		rs.Backend = b
		sv.Ruleset = rs
		st.Rules = rs.RuleCount()
	}
	sv.Status = st
	return sv
}

// ReadCNI reads the CNI configuration files (*.conf, *.conflist, *.json)
// of hostRoot/etc/cni/net.d, at most 64 of at most 1 MiB each, without
// following a symlink out of hostRoot.
func ReadCNI(hostRoot string) CNIConfig {
	if hostRoot == "" {
		hostRoot = "/"
	}
	dir := filepath.Join(hostRoot, "etc/cni/net.d")
	out := CNIConfig{Dir: dir}
	ents, err := hostfile.ReadDir(dir)
	if err != nil {
		out.Err = fmt.Errorf("read %s: %w", dir, err)
		return out
	}
	kept := 0
	for _, e := range ents {
		name := e.Name()
		ext := filepath.Ext(name)
		if ext != ".conf" && ext != ".conflist" && ext != ".json" {
			out.Skipped = append(out.Skipped, name)
			continue
		}
		f := CNIFile{Name: name}
		if kept >= maxCNIFiles {
			f.Err = fmt.Errorf("more than %d CNI files", maxCNIFiles)
		} else {
			kept++
			f.Data, f.Err = readCNIFile(hostRoot, dir, name)
		}
		out.Files = append(out.Files, f)
	}
	return out
}

// readCNIFile reads one CNI file without following symlinks out of the
// host root: a link is resolved once, inside the host root, and must end
// at a regular file.
func readCNIFile(hostRoot, dir, name string) ([]byte, error) {
	p := filepath.Join(dir, name)
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			return nil, err
		}
		if filepath.IsAbs(target) {
			p = filepath.Join(hostRoot, target)
		} else {
			p = filepath.Join(dir, target)
		}
		if rel, err := filepath.Rel(hostRoot, p); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("%s links to %s, outside the host root", name, target)
		}
		if fi, err = os.Lstat(p); err != nil {
			return nil, err
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	return hostfile.ReadFileNoFollow(p, maxCNIFile)
}
