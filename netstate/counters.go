package netstate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
)

// Counter is one SNMP/netstat counter under nstat's name: the line's prefix
// and the column name run together (TcpExtListenOverflows, IpInReceives,
// Ip6InReceives).
type Counter struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// Counters are the counters of one netns in the order the kernel lists them:
// /proc/net/snmp, then /proc/net/snmp6, then /proc/net/netstat, as nstat does.
type Counters []Counter

// Get returns the value of the counter called name.
func (cs Counters) Get(name string) (int64, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c.Value, true
		}
	}
	return 0, false
}

// Map returns the counters by name.
func (cs Counters) Map() map[string]int64 {
	m := make(map[string]int64, len(cs))
	for _, c := range cs {
		m[c.Name] = c.Value
	}
	return m
}

// CounterDelta returns after minus before for every counter of after, in
// after's order; a counter missing from before counts from zero.
func CounterDelta(before, after Counters) Counters {
	old := before.Map()
	out := make(Counters, len(after))
	for i, c := range after {
		out[i] = Counter{Name: c.Name, Value: c.Value - old[c.Name]}
	}
	return out
}

// CounterSettings are values in /proc/net/snmp that are settings or gauges
// rather than counters; nstat leaves them out.
var CounterSettings = map[string]bool{
	"IpForwarding": true, "IpDefaultTTL": true, "TcpRtoAlgorithm": true, "TcpRtoMin": true,
	"TcpRtoMax": true, "TcpMaxConn": true, "TcpCurrEstab": true,
}

// counterFiles are read in nstat's order; snmp6 is absent when IPv6 is disabled.
var counterFiles = []struct {
	name     string
	optional bool
}{{"snmp", false}, {"snmp6", true}, {"netstat", false}}

// ReadCounters reads /proc/net/snmp, snmp6 and netstat of netns ns. It reads
// them through /proc/thread-self/net from a thread inside ns: /proc/self/net
// would show the netns of the process's main thread instead.
// Equivalent to: `ip netns exec NS nstat -az`, without nstat's history.
func ReadCounters(ns *nsutil.NetNS) (Counters, error) {
	var out Counters
	err := ns.Do(func() error {
		var err error
		out, err = ReadCountersDir("/proc/thread-self/net")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read counters of netns %s: %w", ns.Path(), err)
	}
	return out, nil
}

// ReadCountersDir reads the counter files in dir, a /proc/PID/net directory
// or a copy of one.
func ReadCountersDir(dir string) (Counters, error) {
	var out Counters
	for _, f := range counterFiles {
		b, err := hostfile.ReadFile(dir+"/"+f.name, maxProcTable)
		if err != nil {
			if f.optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read %s: %w", f.name, err)
		}
		var cs Counters
		if f.name == "snmp6" {
			cs, err = ParseCounterList(b)
		} else {
			cs, err = ParseCounterTable(b)
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s/%s: %w", dir, f.name, err)
		}
		out = append(out, cs...)
	}
	return out, nil
}

// ParseCounterTable parses the format of /proc/net/snmp and /proc/net/netstat:
// pairs of lines "Prefix: Name1 Name2 …" and "Prefix: v1 v2 …".
func ParseCounterTable(b []byte) (Counters, error) {
	var out Counters
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

// ParseCounterList parses the format of /proc/net/snmp6: "Name value" lines.
func ParseCounterList(b []byte) (Counters, error) {
	var out Counters
	for i, line := range bytes.Split(b, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"NAME VALUE\", got %q", i+1, counterClip(string(line)))
		}
		v, err := parseCounterValue(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", i+1, f[0], err)
		}
		out = append(out, Counter{Name: f[0], Value: v})
	}
	return out, nil
}

// parseCounterValue accepts signed values (TcpMaxConn is -1) and wraps
// unsigned 64-bit values beyond int64 the way the kernel's counters wrap.
func parseCounterValue(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad value %q", counterClip(s))
	}
	return int64(u), nil
}

// counterClip shortens untrusted text for an error message.
func counterClip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
