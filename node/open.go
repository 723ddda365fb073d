package node

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/netdiag/netdiag/nsutil"
)

// OpenNetNS opens the pod's network namespace and checks that it is still the
// one Load saw: a pod deleted since, or a PID reused, gives ErrPodGone. The
// caller closes the handle.
func (p *Pod) OpenNetNS() (*nsutil.NetNS, error) {
	var paths []string
	if p.NetNS.Path != "" {
		paths = append(paths, p.NetNS.Path)
	}
	if p.PID > 0 {
		paths = append(paths, "/proc/"+strconv.Itoa(p.PID)+"/ns/net")
	}
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
	return nil, fmt.Errorf("open netns of %s: %w: %w", p.FullName(), ErrPodGone, firstErr)
}

// OpenNodeNetNS opens the node netns at path ("" means PID 1's). When PID 1's
// netns cannot be opened (some sandboxes hide PID 1) it falls back to
// netdiag's own netns, where netdiag normally runs, and says so in warning.
func OpenNodeNetNS(path string) (ns *nsutil.NetNS, warning string, err error) {
	if path == "" {
		path = defaultNodeNetNS
	}
	ns, err = nsutil.Open(path)
	if err == nil {
		return ns, "", nil
	}
	if path == defaultNodeNetNS {
		if self, err2 := nsutil.Open("/proc/self/ns/net"); err2 == nil {
			return self, fmt.Sprintf("node netns: %v; using netdiag's own netns (--node-netns overrides)", err), nil
		}
	}
	return nil, "", fmt.Errorf("open node netns (--node-netns): %w", err)
}
