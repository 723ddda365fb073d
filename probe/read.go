package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

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

// ReadResolvConfFile reads and parses one resolv.conf file.
func ReadResolvConfFile(path string) (*ResolvConf, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read resolv.conf: %w", err)
	}
	defer f.Close()
	c, err := ParseResolvConf(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Source = path
	return c, nil
}

// readInRoot reads root/rel with every symlink resolved as if root were
// "/" (openat2 RESOLVE_IN_ROOT, Linux 5.6+): an absolute link inside a
// container must not lead to the node's file of the same name.
func readInRoot(root, rel string) ([]byte, error) {
	dir, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(dir)
	fd, err := unix.Openat2(dir, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err == unix.ENOSYS {
		// Before Linux 5.6: a plain open, which follows absolute links out of root.
		fd, err = unix.Openat(dir, rel, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	}
	path := filepath.Join(root, rel)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return io.ReadAll(io.LimitReader(f, maxResolvConf+1))
}
