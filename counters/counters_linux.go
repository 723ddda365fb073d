package counters

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
)

// Read reads /proc/net/snmp, snmp6 and netstat of netns ns. It reads
// them through /proc/thread-self/net from a thread inside ns: /proc/self/net
// would show the netns of the process's main thread instead.
// Equivalent to: `ip netns exec NS nstat -az`, without nstat's history.
func Read(ns *nsutil.NetNS) (List, error) {
	var out List
	err := ns.Do(func() error {
		var err error
		out, err = ReadDir("/proc/thread-self/net")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read counters of netns %s: %w", ns.Path(), err)
	}
	return out, nil
}

// ReadDir reads the counter files in dir, a /proc/PID/net directory
// or a copy of one.
func ReadDir(dir string) (List, error) {
	var out List
	for _, f := range counterFiles {
		b, err := hostfile.ReadFile(dir+"/"+f.name, maxProcTable)
		if err != nil {
			if f.optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read %s: %w", f.name, err)
		}
		var cs List
		if f.name == "snmp6" {
			cs, err = ParseList(b)
		} else {
			cs, err = ParseTable(b)
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s/%s: %w", dir, f.name, err)
		}
		out = append(out, cs...)
	}
	return out, nil
}

// counterFiles are read in nstat's order; snmp6 is absent when IPv6 is disabled.
var counterFiles = []struct {
	name     string
	optional bool
}{{"snmp", false}, {"snmp6", true}, {"netstat", false}}

// ParseTable parses the format of /proc/net/snmp and /proc/net/netstat:
// pairs of lines "Prefix: Name1 Name2 …" and "Prefix: v1 v2 …".
func ParseTable(b []byte) (List, error) {
	var out List
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil, nil
	}
	if len(lines)%2 != 0 {
		return nil, fmt.Errorf("odd number of lines (%d): want header and value lines in pairs", len(lines))
	}
	for i := 0; i < len(lines); i += 2 {
		hp, hrest, ok1 := strings.Cut(lines[i], ":")
		vp, vrest, ok2 := strings.Cut(lines[i+1], ":")
		if !ok1 || !ok2 || hp != vp || hp == "" {
			return nil, fmt.Errorf("line %d: header %q and values %q do not pair", i+1, counterClip(lines[i]), counterClip(lines[i+1]))
		}
		names, vals := strings.Fields(hrest), strings.Fields(vrest)
		if len(names) != len(vals) {
			return nil, fmt.Errorf("line %d: %s has %d names but %d values", i+1, hp, len(names), len(vals))
		}
		for j, n := range names {
			v, err := parseCounterValue(vals[j])
			if err != nil {
				return nil, fmt.Errorf("line %d: %s%s: %w", i+2, hp, n, err)
			}
			out = append(out, Counter{Name: hp + n, Value: v})
		}
	}
	return out, nil
}

// maxProcTable bounds what is read of one /proc/net table.
const maxProcTable = 16 << 20
