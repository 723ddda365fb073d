package netstate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/netdiag/netdiag/nsutil"
)

// ErrIPTablesNoBinary means neither the node (under the host root) nor this
// system has the iptables-save binary of a backend. Legacy x_tables rules can
// only be read through that binary; there is no pure-Go reader.
var ErrIPTablesNoBinary = errors.New("no iptables-save binary found")

// IPTablesBackendStatus says what one backend holds.
type IPTablesBackendStatus struct {
	Backend IPTablesBackend `json:"backend"`
	Binary  string          `json:"binary,omitempty"` // path run, inside the host root
	Rules   int             `json:"rules"`            // -A lines, as iptables-wrappers counts them
	Error   string          `json:"error,omitempty"`  // why it could not be read
}

var binDirs = []string{"usr/sbin", "sbin", "usr/bin", "bin", "usr/local/sbin", "usr/local/bin"}

// iptablesBinary finds the save binary of a backend: first under hostRoot
// (run chrooted there so it finds its own libraries), then on this system's
// PATH. It returns the path and the root to chroot into ("" for none).
func iptablesBinary(hostRoot string, b IPTablesBackend) (string, string, error) {
	name := "iptables-" + string(b) + "-save"
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
	return "", "", fmt.Errorf("%w: %s is neither under %s nor on PATH", ErrIPTablesNoBinary, name, hostRoot)
}

// IPTablesSave runs the backend's iptables-save -c inside ns (nil: the
// caller's netns) and returns its output. It never passes -t, so the binary
// does not load kernel modules for tables nobody uses.
func IPTablesSave(ns *nsutil.NetNS, hostRoot string, b IPTablesBackend) ([]byte, string, error) {
	bin, root, err := iptablesBinary(hostRoot, b)
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

// IPTablesDump reads and parses one backend's rules in ns.
func IPTablesDump(ns *nsutil.NetNS, hostRoot string, b IPTablesBackend) (*IPTablesRuleset, error) {
	out, bin, err := IPTablesSave(ns, hostRoot, b)
	if err != nil {
		return nil, err
	}
	rs, err := ParseIPTablesSave(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("parse output of %s: %w", bin, err)
	}
	rs.Backend = b
	return rs, nil
}

// IPTablesBackends reports how many rules each backend holds in ns, like
// iptables-wrappers decides which one the node uses. A backend that cannot be
// read has Error set; the call fails only if neither can be read.
func IPTablesBackends(ns *nsutil.NetNS, hostRoot string) ([]IPTablesBackendStatus, map[IPTablesBackend]*IPTablesRuleset, error) {
	var sts []IPTablesBackendStatus
	sets := map[IPTablesBackend]*IPTablesRuleset{}
	var errs []error
	for _, b := range []IPTablesBackend{IPTablesLegacy, IPTablesNFT} {
		st := IPTablesBackendStatus{Backend: b}
		bin, _, _ := iptablesBinary(hostRoot, b)
		st.Binary = bin
		rs, err := IPTablesDump(ns, hostRoot, b)
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
