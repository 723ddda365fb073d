package node

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// kubeletPod is what kubelet's files say about one pod.
type kubeletPod struct {
	Namespace, Name, UID string
	Containers           []string // container names under /var/log/pods/<pod>/
	IPs                  []string // from etc-hosts
	Hostname             string
}

// kubeletFiles reads HOSTROOT/var/log/pods/<ns>_<name>_<uid>/<container>/ and
// HOSTROOT/var/lib/kubelet/pods/<uid>/etc-hosts. ok is false when neither
// directory exists.
func kubeletFiles(hostRoot string) (pods map[string]*kubeletPod, ok bool) {
	pods = map[string]*kubeletPod{}
	get := func(uid string) *kubeletPod {
		p := pods[uid]
		if p == nil {
			p = &kubeletPod{UID: uid}
			pods[uid] = p
		}
		return p
	}
	logs := filepath.Join(hostRoot, "var", "log", "pods")
	if ents, err := os.ReadDir(logs); err == nil {
		ok = true
		for _, e := range ents {
			ns, name, uid, good := parsePodLogDir(e.Name())
			if !good || !e.IsDir() {
				continue
			}
			p := get(uid)
			p.Namespace, p.Name = ns, name
			if cs, err := os.ReadDir(filepath.Join(logs, e.Name())); err == nil {
				for _, c := range cs {
					if c.IsDir() {
						p.Containers = append(p.Containers, c.Name())
					}
				}
			}
		}
	}
	kpods := filepath.Join(hostRoot, "var", "lib", "kubelet", "pods")
	if ents, err := os.ReadDir(kpods); err == nil {
		ok = true
		for _, e := range ents {
			if !e.IsDir() || !isUID(e.Name()) {
				continue
			}
			b, err := os.ReadFile(filepath.Join(kpods, e.Name(), "etc-hosts"))
			if err != nil {
				continue
			}
			ips, host := parseEtcHosts(b)
			if len(ips) == 0 {
				continue
			}
			p := get(e.Name())
			p.IPs, p.Hostname = ips, host
		}
	}
	return pods, ok
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
	ents, err := os.ReadDir(filepath.Join(hostRoot, "var", "log", "containers"))
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
