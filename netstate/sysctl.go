package netstate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/sys/unix"
)

// Sysctl is one net.* sysctl as one netns sees it. Values with several
// fields (net.ipv4.ip_local_port_range) keep the kernel's tabs.
type Sysctl struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Sysctl errors; test with errors.Is.
var (
	// ErrSysctlUnknown means the netns has no such sysctl (wrong name, module
	// not loaded, or an interface that does not exist in that netns).
	ErrSysctlUnknown = errors.New("unknown sysctl")
	// ErrSysctlNotNet means the name is outside net.*, which is not per netns.
	ErrSysctlNotNet = errors.New("only net.* sysctls belong to a network namespace")
)

// sysctlRoot is where the kernel shows sysctls. The net subtree under it is
// per netns and follows the netns of the task that looks the file up, so
// every access happens from a thread inside the target netns.
const sysctlRoot = "/proc/sys"

// SysctlPath turns a sysctl name into its path under /proc/sys the way
// sysctl(8) does: dots separate levels and a slash stands for a dot inside a
// level (net.ipv4.conf.eth0/100.rp_filter is eth0.100). It rejects names
// outside net.* and names that would escape the tree.
func SysctlPath(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || parts[0] != "net" {
		return "", fmt.Errorf("sysctl %q: %w", name, ErrSysctlNotNet)
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

// sysctlName is SysctlPath's inverse.
func sysctlName(path string) string {
	rel := strings.TrimPrefix(path, sysctlRoot+"/")
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, ".", "/")
	}
	return strings.Join(parts, ".")
}

// ReadSysctls reads the named net.* sysctls of netns ns, or every readable
// one under net when no name is given (sorted by name; write-only and
// unreadable entries are left out, as `sysctl -a` does).
// Equivalent to: `ip netns exec NS sysctl net.X …` or `… sysctl -a -r ^net\.`.
func ReadSysctls(ns *nsutil.NetNS, names ...string) ([]Sysctl, error) {
	paths := make([]string, len(names))
	for i, n := range names {
		p, err := SysctlPath(n)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	var out []Sysctl
	err := ns.Do(func() error {
		if len(names) == 0 {
			var err error
			out, err = sysctlWalk(sysctlRoot + "/net")
			return err
		}
		for i, p := range paths {
			v, err := sysctlRead(p)
			if err != nil {
				return fmt.Errorf("read sysctl %s: %w", names[i], err)
			}
			out = append(out, Sysctl{Name: names[i], Value: v})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SysctlChange is the outcome of a write.
type SysctlChange struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// WriteSysctl sets a net.* sysctl inside netns ns and returns the value
// before and after, read back from the kernel (it may normalise or clamp).
// Equivalent to: `ip netns exec NS sysctl -w NAME=VALUE`.
func WriteSysctl(ns *nsutil.NetNS, name, value string) (SysctlChange, error) {
	p, err := SysctlPath(name)
	if err != nil {
		return SysctlChange{}, err
	}
	ch := SysctlChange{Name: name}
	err = ns.Do(func() error {
		var err error
		if ch.Old, err = sysctlRead(p); err != nil {
			return err
		}
		f, err := os.OpenFile(p, os.O_WRONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			return sysctlErr(err)
		}
		_, werr := f.WriteString(value + "\n")
		cerr := f.Close()
		if werr != nil {
			return fmt.Errorf("kernel refused %q: %w", value, werr)
		}
		if cerr != nil {
			return fmt.Errorf("kernel refused %q: %w", value, cerr)
		}
		ch.New, err = sysctlRead(p)
		return err
	})
	if err != nil {
		return ch, fmt.Errorf("write sysctl %s: %w", name, err)
	}
	return ch, nil
}

func sysctlRead(p string) (string, error) {
	b, err := hostfile.ReadFile(p, maxProcValue)
	if err != nil {
		return "", sysctlErr(err)
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

func sysctlErr(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: no such entry in this netns (check the name; interfaces and modules differ per netns)", ErrSysctlUnknown)
	case errors.Is(err, unix.EISDIR):
		return fmt.Errorf("%w: names a directory, not a value", ErrSysctlUnknown)
	}
	return err
}

func sysctlWalk(root string) ([]Sysctl, error) {
	var out []Sysctl
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an interface may vanish during the walk
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		v, err := sysctlRead(p)
		if err != nil {
			return nil // write-only or refusing reads (stable_secret unset)
		}
		out = append(out, Sysctl{Name: sysctlName(p), Value: v})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read sysctls under %s: %w", root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Bounds of what is read of one /proc file: a value (a sysctl, a count, a
// process name, a list of table names), or a table of counters or per-CPU
// statistics.
const (
	maxProcValue = 64 << 10
	maxProcTable = 16 << 20
)
