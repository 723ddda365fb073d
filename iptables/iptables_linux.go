package iptables

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/internal/nfnl"
	"github.com/netdiag/netdiag/nsutil"
)

var binDirs = []string{"usr/sbin", "sbin", "usr/bin", "bin", "usr/local/sbin", "usr/local/bin"}

// iptablesBinary finds the save binary of a backend (ip6tables' when ip6):
// first under hostRoot (run chrooted there so it finds its own libraries),
// then on this system's PATH. It returns the path and the root to chroot
// into ("" for none).
func iptablesBinary(hostRoot string, b Backend, ip6 bool) (string, string, error) {
	name := "iptables-" + string(b) + "-save"
	if ip6 {
		name = "ip6tables-" + string(b) + "-save"
	}
	if hostRoot == "" {
		hostRoot = "/"
	}
	for _, d := range binDirs {
		p := filepath.Join(hostRoot, d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			if hostRoot == "/" {
				return p, "", nil
			}
			return "/" + filepath.Join(d, name), hostRoot, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, "", nil
	}
	return "", "", fmt.Errorf("%w: %s is neither under %s nor on PATH", ErrNoBinary, name, hostRoot)
}

// Save runs the backend's iptables-save -c inside ns (nil: the
// caller's netns) and returns its output. It never passes -t, so the binary
// does not load kernel modules for tables nobody uses.
func Save(ns *nsutil.NetNS, hostRoot string, b Backend) ([]byte, string, error) {
	return iptablesSave(ns, hostRoot, b, false)
}

func iptablesSave(ns *nsutil.NetNS, hostRoot string, b Backend, ip6 bool) ([]byte, string, error) {
	bin, root, err := iptablesBinary(hostRoot, b, ip6)
	if err != nil {
		return nil, "", err
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, "-c")
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = []string{"PATH=/usr/sbin:/sbin:/usr/bin:/bin"}
	if root != "" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	}
	// A child forked from the locked thread inside ns starts in ns.
	run := cmd.Run
	if ns != nil {
		err = ns.Do(run)
	} else {
		err = run()
	}
	if err != nil {
		msg := strings.TrimSpace(errb.String())
		if strings.Contains(msg, "Permission denied") || strings.Contains(msg, "must be root") {
			return nil, bin, fmt.Errorf("run %s: needs CAP_NET_ADMIN: run as root: %s", bin, msg)
		}
		return nil, bin, fmt.Errorf("run %s: %w: %s", bin, err, msg)
	}
	return out.Bytes(), bin, nil
}

// Dump reads and parses one backend's rules in ns.
func Dump(ns *nsutil.NetNS, hostRoot string, b Backend) (*Ruleset, error) {
	return iptablesDump(ns, hostRoot, b, false)
}

func iptablesDump(ns *nsutil.NetNS, hostRoot string, b Backend, ip6 bool) (*Ruleset, error) {
	out, bin, err := iptablesSave(ns, hostRoot, b, ip6)
	if err != nil {
		return nil, err
	}
	rs, err := ParseSave(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("parse output of %s: %w", bin, err)
	}
	rs.Backend = b
	return rs, nil
}

// Backends reports how many rules each backend holds in ns, like
// iptables-wrappers decides which one the node uses. A backend that cannot be
// read has Error set; the call fails only if neither can be read.
//
// The nft backend is read over netlink (Read); only when a rule
// cannot be translated with certainty, or netlink fails, is the node's
// iptables-nft-save run. The legacy backend needs iptables-legacy-save, but
// only when the netns's /proc/net/ip_tables_names lists a table: otherwise
// it holds no rules and nothing is run.
func Backends(ns *nsutil.NetNS, hostRoot string) ([]BackendStatus, map[Backend]*Ruleset, error) {
	return iptablesBackends(ns, hostRoot, false)
}

// Backends6 is Backends for ip6tables: the nf_tables family
// ip6, /proc/net/ip6_tables_names and the ip6tables-*-save binaries.
func Backends6(ns *nsutil.NetNS, hostRoot string) ([]BackendStatus, map[Backend]*Ruleset, error) {
	return iptablesBackends(ns, hostRoot, true)
}

func iptablesBackends(ns *nsutil.NetNS, hostRoot string, ip6 bool) ([]BackendStatus, map[Backend]*Ruleset, error) {
	var sts []BackendStatus
	sets := map[Backend]*Ruleset{}
	var errs []error
	for _, b := range []Backend{Legacy, NFT} {
		st := BackendStatus{Backend: b}
		bin, _, _ := iptablesBinary(hostRoot, b, ip6)
		st.Binary = bin
		var rs *Ruleset
		var err error
		switch b {
		case Legacy:
			var tables []string
			if tables, err = legacyTables(ns, ip6); err == nil && len(tables) == 0 {
				rs, st.Source = &Ruleset{Backend: b, Tables: []Table{}}, SourceNoTables
				if ip6 {
					st.Source = "/proc/net/ip6_tables_names"
				}
				break
			}
			// Unreadable or listing tables: ask the binary.
			if rs, err = iptablesDump(ns, hostRoot, b, ip6); err == nil {
				st.Source = bin
			}
		case NFT:
			rs, err = Read(ns, ip6)
			switch {
			case err == nil:
				st.Source = SourceNetlink
			case errors.Is(err, nfnl.ErrNotLoaded):
				// No nf_tables, so no iptables-nft rules.
				rs, err, st.Source = &Ruleset{Backend: b, Tables: []Table{}}, nil, SourceNetlink
			default:
				st.Fallback = err.Error()
				nerr := err
				if rs, err = iptablesDump(ns, hostRoot, b, ip6); err == nil {
					st.Source = bin
				} else {
					err = fmt.Errorf("%w; reading over netlink failed first: %w", err, nerr)
				}
			}
		}
		if err != nil {
			st.Error = err.Error()
			errs = append(errs, err)
		} else {
			st.Rules = rs.RuleCount()
			sets[b] = rs
		}
		sts = append(sts, st)
	}
	if len(sets) == 0 {
		return sts, nil, fmt.Errorf("read iptables rules: %w", errors.Join(errs...))
	}
	return sts, sets, nil
}

// legacyTables lists the x_tables (iptables-legacy) tables that exist in ns,
// from /proc/net/ip_tables_names (ip6_tables_names) read by a thread inside
// ns: the file is per netns. Without the module there is no file and no
// table.
func legacyTables(ns *nsutil.NetNS, ip6 bool) ([]string, error) {
	name := "/proc/thread-self/net/ip_tables_names"
	if ip6 {
		name = "/proc/thread-self/net/ip6_tables_names"
	}
	var data []byte
	read := func() error {
		var err error
		data, err = hostfile.ReadFile(name, maxProcValue)
		if errors.Is(err, os.ErrNotExist) {
			data, err = nil, nil
		}
		return err
	}
	var err error
	if ns == nil {
		err = read()
	} else {
		err = ns.Do(read)
	}
	if err != nil {
		return nil, fmt.Errorf("read ip_tables_names: %w", err)
	}
	return strings.Fields(string(data)), nil
}

// maxProcValue bounds what is read of one /proc value (a list of table names).
const maxProcValue = 64 << 10
