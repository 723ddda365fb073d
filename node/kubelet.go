package node

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
)

// kubeletIndex reads kubelet's files lazily: the pod log directory names
// up front (one directory read), container names and etc-hosts only for the
// pods that need them, since a node may have hundreds of pods.
type kubeletIndex struct {
	root     string            // HOSTROOT
	found    bool              // var/log/pods or var/lib/kubelet/pods exists
	logDirs  map[string]string // lower-case UID → directory name under var/log/pods
	allHosts map[string]string // IP → UID, once every etc-hosts was read
}

func loadKubelet(hostRoot string) *kubeletIndex {
	k := &kubeletIndex{root: hostRoot, logDirs: map[string]string{}}
	if ents, err := hostfile.ReadDir(filepath.Join(hostRoot, "var", "log", "pods")); err == nil {
		k.found = true
		for _, e := range ents {
			if _, _, uid, ok := parsePodLogDir(e.Name()); ok && e.IsDir() {
				k.logDirs[strings.ToLower(uid)] = e.Name()
			}
		}
	}
	if fi, err := os.Stat(filepath.Join(hostRoot, "var", "lib", "kubelet", "pods")); err == nil && fi.IsDir() {
		k.found = true
	}
	return k
}

// name returns namespace and name of pod uid from its log directory.
func (k *kubeletIndex) name(uid string) (ns, name string, ok bool) {
	if k == nil {
		return "", "", false
	}
	dir, ok := k.logDirs[strings.ToLower(uid)]
	if !ok {
		return "", "", false
	}
	ns, name, _, ok = parsePodLogDir(dir)
	return ns, name, ok
}

// containers lists the container log directories of pod uid.
func (k *kubeletIndex) containers(uid string) []string {
	if k == nil {
		return nil
	}
	dir, ok := k.logDirs[strings.ToLower(uid)]
	if !ok {
		return nil
	}
	var out []string
	if cs, err := hostfile.ReadDir(filepath.Join(k.root, "var", "log", "pods", dir)); err == nil {
		for _, c := range cs {
			if c.IsDir() {
				out = append(out, c.Name())
			}
		}
	}
	return out
}

// ips returns the pod IPs in pod uid's etc-hosts.
func (k *kubeletIndex) ips(uid string) []string {
	if k == nil {
		return nil
	}
	ips, _ := k.readHosts(uid)
	return ips
}

func (k *kubeletIndex) readHosts(uid string) ([]string, string) {
	b, err := hostfile.ReadFileInRoot(k.root, filepath.Join("var", "lib", "kubelet", "pods", uid, "etc-hosts"), maxEtcHosts)
	if err != nil {
		return nil, ""
	}
	return parseEtcHosts(b)
}

// uidOfIP finds the pod whose etc-hosts names ip; the first call reads every
// etc-hosts file.
func (k *kubeletIndex) uidOfIP(ip string) string {
	if k == nil {
		return ""
	}
	if k.allHosts == nil {
		k.allHosts = map[string]string{}
		ents, _ := hostfile.ReadDir(filepath.Join(k.root, "var", "lib", "kubelet", "pods"))
		for _, e := range ents {
			if !e.IsDir() || !isUID(e.Name()) {
				continue
			}
			ips, _ := k.readHosts(e.Name())
			for _, a := range ips {
				k.allHosts[a] = e.Name()
			}
		}
	}
	return k.allHosts[ip]
}

// parsePodLogDir splits "<namespace>_<name>_<uid>"; namespaces and pod names
// are DNS names, so they hold no '_'.
func parsePodLogDir(dir string) (ns, name, uid string, ok bool) {
	parts := strings.Split(dir, "_")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || !isUID(parts[2]) {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// maxEtcHosts bounds a pod's etc-hosts: its own lines and its HostAliases.
const maxEtcHosts = 1 << 20

// etcHostsHeader starts every hosts file kubelet writes for a pod with its own
// network; host-network pods get a copy of the node's /etc/hosts instead.
const etcHostsHeader = "# Kubernetes-managed hosts file"

// parseEtcHosts returns the pod's own IPs and hostname from a kubelet-managed
// hosts file: the entries after the fixed localhost/ip6 lines and before
// "# Entries added by HostAliases.".
func parseEtcHosts(b []byte) (ips []string, hostname string) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if first {
			first = false
			if !strings.HasPrefix(line, etcHostsHeader) {
				return nil, ""
			}
			continue
		}
		if strings.HasPrefix(line, "# Entries added by HostAliases") {
			break
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() ||
			a.IsUnspecified() || strings.HasPrefix(f[1], "ip6-") {
			continue
		}
		ips = append(ips, a.Unmap().String())
		if hostname == "" {
			hostname = f[1]
		}
	}
	sort.Strings(ips)
	return ips, hostname
}

// containerLogNames maps container IDs to names from kubelet's symlinks
// HOSTROOT/var/log/containers/<pod>_<namespace>_<container>-<id>.log.
func containerLogNames(hostRoot string) map[string]string {
	ents, err := hostfile.ReadDir(filepath.Join(hostRoot, "var", "log", "containers"))
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok {
			continue
		}
		parts := strings.Split(base, "_")
		if len(parts) != 3 {
			continue
		}
		i := strings.LastIndexByte(parts[2], '-')
		if i <= 0 || !isContainerID(parts[2][i+1:]) {
			continue
		}
		out[parts[2][i+1:]] = parts[2][:i]
	}
	return out
}
