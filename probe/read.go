package probe

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/node"
)

// ResolvConfPaths lists, best first, where the resolv.conf a pod's
// containers use can be read: /etc/resolv.conf inside each running
// container (what the application really sees), the runtime's per-sandbox
// copy under hostRoot (containerd, CRI-O, Docker/cri-dockerd), then the
// pod's own process. Each entry is a root directory and a path inside it.
func ResolvConfPaths(p *node.Pod, hostRoot string) [][2]string {
	if hostRoot == "" {
		hostRoot = "/"
	}
	var out [][2]string
	seen := map[int]bool{}
	addPID := func(pid int) {
		if pid > 0 && !seen[pid] {
			seen[pid] = true
			out = append(out, [2]string{"/proc/" + strconv.Itoa(pid) + "/root", "etc/resolv.conf"})
		}
	}
	for _, c := range p.Containers {
		if c.State == "" || c.State == "running" {
			for _, pid := range c.PIDs {
				addPID(pid)
				break
			}
		}
	}
	if id := p.SandboxID; id != "" && !strings.ContainsAny(id, "/.") {
		for _, rel := range []string{
			"var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/" + id + "/resolv.conf",
			"run/containers/storage/overlay-containers/" + id + "/userdata/resolv.conf",
			"var/lib/containers/storage/overlay-containers/" + id + "/userdata/resolv.conf",
			"var/lib/docker/containers/" + id + "/resolv.conf",
		} {
			out = append(out, [2]string{hostRoot, rel})
		}
	}
	addPID(p.PID)
	return out
}

// ReadResolvConf reads and parses the resolv.conf of pod p, trying
// ResolvConfPaths in order; Source says which file it was. Symlinks are
// followed inside the container's root, never out of it.
func ReadResolvConf(p *node.Pod, hostRoot string) (*ResolvConf, error) {
	var errs []error
	for _, rp := range ResolvConfPaths(p, hostRoot) {
		b, err := readInRoot(rp[0], rp[1])
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		c, err := ParseResolvConf(bytes.NewReader(b))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Join(rp[0], rp[1]), err))
			continue
		}
		c.Source = filepath.Join(rp[0], rp[1])
		return c, nil
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("no container process and no runtime sandbox file found"))
	}
	return nil, fmt.Errorf("read resolv.conf of %s (give one with --resolv-conf FILE): %w", p.FullName(), errors.Join(errs...))
}

// ReadResolvConfFile reads and parses one resolv.conf file; it must be a
// regular file (symlinks are followed).
func ReadResolvConfFile(path string) (*ResolvConf, error) {
	b, err := hostfile.ReadFile(path, maxResolvConf)
	if err != nil {
		return nil, fmt.Errorf("read resolv.conf: %w", err)
	}
	c, err := ParseResolvConf(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Source = path
	return c, nil
}

// ReadNodeResolvConf reads and parses hostRoot/etc/resolv.conf, with
// symlinks resolved inside hostRoot: on systemd-resolved nodes it links to
// /run/systemd/resolve/stub-resolv.conf, which is under hostRoot too.
func ReadNodeResolvConf(hostRoot string) (*ResolvConf, error) {
	if hostRoot == "" {
		hostRoot = "/"
	}
	b, err := hostfile.ReadFileInRoot(hostRoot, "etc/resolv.conf", maxResolvConf)
	if err != nil {
		return nil, fmt.Errorf("read the node's resolv.conf: %w", err)
	}
	c, err := ParseResolvConf(bytes.NewReader(b))
	path := filepath.Join(hostRoot, "etc/resolv.conf")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Source = path
	return c, nil
}

// readInRoot reads root/rel with every symlink resolved as if root were
// "/": an absolute link inside a container must not lead to the node's file
// of the same name.
func readInRoot(root, rel string) ([]byte, error) {
	return hostfile.ReadFileInRoot(root, rel, maxResolvConf)
}
