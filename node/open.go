package node

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/netdiag/netdiag/nsutil"
)

// netnsPaths lists the files that name the pod's netns, the most lasting
// first: its bind mount or recorded path, then /proc/PID/ns/net of the pod's
// process and of its containers' processes.
func (p *Pod) netnsPaths() []string {
	var paths []string
	seen := map[string]bool{}
	add := func(path string) {
		if path != "" && !seen[path] {
			seen[path] = true
			paths = append(paths, path)
		}
	}
	add(p.NetNS.Path)
	if p.PID > 0 {
		add(procNetNS(p.PID))
	}
	for _, c := range p.Containers {
		for _, pid := range c.PIDs {
			add(procNetNS(pid))
		}
	}
	return paths
}

func procNetNS(pid int) string { return "/proc/" + strconv.Itoa(pid) + "/ns/net" }

// OpenNetNS opens the pod's network namespace and checks that it is still the
// one Load saw. When every process Load recorded has exited (exec probes,
// restarted containers) it finds another process in that netns. A netns
// nothing holds any more (the pod was deleted) gives ErrPodGone. The caller
// closes the handle.
func (p *Pod) OpenNetNS() (*nsutil.NetNS, error) {
	paths := p.netnsPaths()
	if len(paths) == 0 {
		return nil, fmt.Errorf("open netns of %s: no process or netns path known", p.FullName())
	}
	var firstErr error
	for _, path := range paths {
		ns, err := nsutil.Open(path)
		if err != nil {
			if errors.Is(err, nsutil.ErrPermission) {
				return nil, fmt.Errorf("open netns of %s: %w", p.FullName(), err)
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		id := ns.ID()
		if p.NetNS.Inode != 0 && !p.NetNS.Same(NetNSRef{Inode: id.Ino, Dev: id.Dev}) {
			ns.Close()
			if firstErr == nil {
				firstErr = fmt.Errorf("%s is now %s, not %s", path, NetNSRef{Inode: id.Ino}, p.NetNS)
			}
			continue
		}
		return ns, nil
	}
	if p.NetNS.IsZero() {
		return nil, fmt.Errorf("open netns of %s: %w: %w", p.FullName(), ErrPodGone, firstErr)
	}
	if pid := findHolder("/proc", p.NetNS); pid > 0 {
		ns, err := nsutil.Open(procNetNS(pid))
		if err == nil && p.NetNS.Same(NetNSRef{Inode: ns.ID().Ino, Dev: ns.ID().Dev}) {
			return ns, nil
		}
		if err == nil {
			ns.Close()
		}
	}
	return nil, fmt.Errorf("open netns of %s: %w", p.FullName(), p.goneError())
}

// goneError says that nothing holds the pod's netns any more, and what to do.
func (p *Pod) goneError() error {
	return fmt.Errorf("%w: no process and no bind mount holds its network namespace %s any more: it was deleted or restarted; run `netdiag pods` to find it again",
		ErrPodGone, p.NetNS)
}

// Watch returns a check that a long-running command (capture) calls now and
// then: nil while any process or bind mount holds the pod's netns, an error
// wrapping ErrPodGone once none does. An open handle of the netns (a capture
// socket) keeps it alive after the pod is deleted, so the handle alone cannot
// tell. The check is not safe for concurrent use.
func (p *Pod) Watch() func() error {
	paths := p.netnsPaths()
	return func() error {
		for _, path := range paths {
			if id, err := nsutil.StatID(path); err == nil && (p.NetNS.Inode == 0 || p.NetNS.Same(NetNSRef{Inode: id.Ino, Dev: id.Dev})) {
				return nil
			}
		}
		if p.NetNS.IsZero() {
			if len(paths) == 0 {
				return nil // nothing to watch
			}
			return fmt.Errorf("pod %s: %w", p.FullName(), p.goneError())
		}
		if pid := findHolder("/proc", p.NetNS); pid > 0 {
			paths = append([]string{procNetNS(pid)}, paths...)
			return nil
		}
		return fmt.Errorf("pod %s: %w", p.FullName(), p.goneError())
	}
}

// findHolder returns a process under procRoot whose netns is ref, or 0.
func findHolder(procRoot string, ref NetNSRef) int {
	d, err := os.Open(procRoot)
	if err != nil {
		return 0
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(512)
		for _, name := range names {
			pid, err := strconv.Atoi(name)
			if err != nil || pid <= 0 {
				continue
			}
			if id, err := nsutil.StatID(procRoot + "/" + name + "/ns/net"); err == nil && ref.Same(NetNSRef{Inode: id.Ino, Dev: id.Dev}) {
				return pid
			}
		}
		if err != nil {
			return 0
		}
	}
}

// OpenNode opens the node netns at path ("" means PID 1's). It never falls
// back to netdiag's own netns: a node that looks empty because netdiag read
// the wrong netns is worse than an error that says which file to give.
func OpenNode(path string) (*nsutil.NetNS, error) {
	if path == "" {
		path = DefaultNodeNetNS
	}
	ns, err := nsutil.Open(path)
	if err == nil {
		return ns, nil
	}
	if path == DefaultNodeNetNS {
		return nil, fmt.Errorf("open the node netns %s (PID 1's): %w; if netdiag runs in the node's netns, say so with --node-netns /proc/self/ns/net, else name the node's netns with --node-netns PATH", path, err)
	}
	return nil, fmt.Errorf("open the node netns %s (--node-netns): %w", path, err)
}
