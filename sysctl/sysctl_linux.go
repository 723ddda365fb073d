package sysctl

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

// Read reads the named net.* sysctls of netns ns, or every readable
// one under net when no name is given (sorted by name; write-only and
// unreadable entries are left out, as `sysctl -a` does).
// Equivalent to: `ip netns exec NS sysctl net.X …` or `… sysctl -a -r ^net\.`.
func Read(ns *nsutil.NetNS, names ...string) ([]Param, error) {
	paths := make([]string, len(names))
	for i, n := range names {
		p, err := Path(n)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	var out []Param
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
			out = append(out, Param{Name: names[i], Value: v})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Write sets a net.* sysctl inside netns ns and returns the value
// before and after, read back from the kernel (it may normalise or clamp).
// Equivalent to: `ip netns exec NS sysctl -w NAME=VALUE`.
func Write(ns *nsutil.NetNS, name, value string) (Change, error) {
	p, err := Path(name)
	if err != nil {
		return Change{}, err
	}
	ch := Change{Name: name}
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
		return fmt.Errorf("%w: no such entry in this netns (check the name; interfaces and modules differ per netns)", ErrUnknown)
	case errors.Is(err, unix.EISDIR):
		return fmt.Errorf("%w: names a directory, not a value", ErrUnknown)
	}
	return err
}

func sysctlWalk(root string) ([]Param, error) {
	var out []Param
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
		out = append(out, Param{Name: sysctlName(p), Value: v})
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
