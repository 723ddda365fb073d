package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
)

// Daemon is a node daemon's process (kubelet, kube-proxy) and its command
// line, read from procfs.
type Daemon struct {
	PID  int
	Args []string // argv[1:]
	dir  string   // procfs dir of the process
}

// ErrNoDaemon means no process of that name runs in the node netns.
var ErrNoDaemon = errors.New("not running on this node")

// FindDaemon returns the process whose command name (comm) is name and whose
// netns is the node's: several nodes may share one kernel (kind, a test
// lab), and only the daemons in the node netns belong to this node. A zero
// nodeNet accepts any netns. With several matches the oldest PID wins.
func FindDaemon(procRoot, name string, nodeNet nsutil.ID) (*Daemon, error) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", name, err)
	}
	var best *Daemon
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join(procRoot, e.Name())
		comm, err := readInto(nil, filepath.Join(dir, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != name {
			continue
		}
		if nodeNet != (nsutil.ID{}) {
			if id, err := nsutil.StatID(filepath.Join(dir, "ns/net")); err != nil || id != nodeNet {
				continue
			}
		}
		b, err := hostfile.ReadFile(filepath.Join(dir, "cmdline"), maxCmdline)
		if err != nil || len(b) == 0 {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
		if best == nil || pid < best.PID {
			best = &Daemon{PID: pid, Args: args[1:], dir: dir}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%s: %w", name, ErrNoDaemon)
	}
	return best, nil
}

// Flag returns the value of --name=VALUE or --name VALUE (the last one
// given wins, as with pflag).
func (d *Daemon) Flag(name string) (string, bool) {
	val, found := "", false
	for i := 0; i < len(d.Args); i++ {
		a := d.Args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		k, v, hasEq := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if k != name {
			continue
		}
		if !hasEq {
			if i+1 >= len(d.Args) {
				continue
			}
			i++
			v = d.Args[i]
		}
		val, found = v, true
	}
	return val, found
}

// Bounds of a daemon's command line (ARG_MAX is 2 MiB; kubelet's are some
// KiB) and of a file it names (a config, a kubeconfig with its certificates).
const (
	maxCmdline    = 2 << 20
	maxDaemonFile = 16 << 20
)

// ReadFile reads a file the daemon names (a --config or --kubeconfig path)
// as the daemon sees it: through /proc/PID/root, relative paths from its
// working directory. hostRoot is the fallback when that cannot be read
// (another mount namespace without access).
func (d *Daemon) ReadFile(path, hostRoot string) ([]byte, error) {
	rel := path
	if !filepath.IsAbs(path) {
		if cwd, err := os.Readlink(filepath.Join(d.dir, "cwd")); err == nil {
			rel = filepath.Join(cwd, path)
		}
	}
	b, err := hostfile.ReadFileInRoot(filepath.Join(d.dir, "root"), rel, maxDaemonFile)
	if err == nil {
		return b, nil
	}
	if hostRoot == "" {
		hostRoot = "/"
	}
	if b2, err2 := hostfile.ReadFileInRoot(hostRoot, rel, maxDaemonFile); err2 == nil {
		return b2, nil
	}
	return nil, err
}

// yamlScalar finds "key: value" in a flat or nested YAML/JSON-ish config
// file (kubelet's and kube-proxy's config files are simple enough that
// the first such line is the field) and returns the value unquoted.
func yamlScalar(b []byte, key string) (string, bool) {
	for _, line := range strings.Split(string(b), "\n") {
		l := strings.TrimSpace(line)
		l = strings.TrimPrefix(l, "- ")
		k, v, ok := strings.Cut(l, ":")
		if !ok || strings.Trim(strings.TrimSpace(k), `"`) != key {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		v = strings.TrimSuffix(v, ",")
		v = strings.Trim(v, `"'`)
		if v == "" {
			continue
		}
		return v, true
	}
	return "", false
}

// Setting returns a daemon setting from its command line (--flag) or, when
// not given there, from the config file its --config names (field).
func (d *Daemon) Setting(flag, field, hostRoot string) (value, source string) {
	if v, ok := d.Flag(flag); ok && v != "" {
		return v, d.name() + " --" + flag
	}
	if cfg, ok := d.Flag("config"); ok && cfg != "" && field != "" {
		if b, err := d.ReadFile(cfg, hostRoot); err == nil {
			if v, ok := yamlScalar(b, field); ok {
				return v, d.name() + " " + cfg + " " + field
			}
		}
	}
	return "", ""
}

func (d *Daemon) name() string {
	b, _ := readInto(nil, filepath.Join(d.dir, "comm"))
	return strings.TrimSpace(string(b))
}
