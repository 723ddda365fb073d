package sysctl

import (
	"fmt"
	"strings"
)

// Param is one net.* sysctl as one netns sees it. Values with several
// fields (net.ipv4.ip_local_port_range) keep the kernel's tabs.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// sysctlRoot is where the kernel shows sysctls. The net subtree under it is
// per netns and follows the netns of the task that looks the file up, so
// every access happens from a thread inside the target netns.
const sysctlRoot = "/proc/sys"

// Path turns a sysctl name into its path under /proc/sys the way
// sysctl(8) does: dots separate levels and a slash stands for a dot inside a
// level (net.ipv4.conf.eth0/100.rp_filter is eth0.100). It rejects names
// outside net.* and names that would escape the tree.
func Path(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || parts[0] != "net" {
		return "", fmt.Errorf("sysctl %q: %w", name, ErrNotNet)
	}
	for i, p := range parts {
		p = strings.ReplaceAll(p, "/", ".")
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("sysctl %q: bad name: empty or dot-only level", name)
		}
		parts[i] = p
	}
	return sysctlRoot + "/" + strings.Join(parts, "/"), nil
}

// sysctlName is Path's inverse.
func sysctlName(path string) string {
	rel := strings.TrimPrefix(path, sysctlRoot+"/")
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, ".", "/")
	}
	return strings.Join(parts, ".")
}

// Change is the outcome of a write.
type Change struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
}
