package counters

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Counter is one SNMP/netstat counter under nstat's name: the line's prefix
// and the column name run together (TcpExtListenOverflows, IpInReceives,
// Ip6InReceives).
type Counter struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// List are the counters of one netns in the order the kernel lists them:
// /proc/net/snmp, then /proc/net/snmp6, then /proc/net/netstat, as nstat does.
type List []Counter

// Get returns the value of the counter called name.
func (cs List) Get(name string) (int64, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c.Value, true
		}
	}
	return 0, false
}

// Map returns the counters by name.
func (cs List) Map() map[string]int64 {
	m := make(map[string]int64, len(cs))
	for _, c := range cs {
		m[c.Name] = c.Value
	}
	return m
}

// Delta returns after minus before for every counter of after, in
// after's order; a counter missing from before counts from zero.
func Delta(before, after List) List {
	old := before.Map()
	out := make(List, len(after))
	for i, c := range after {
		out[i] = Counter{Name: c.Name, Value: c.Value - old[c.Name]}
	}
	return out
}

// Settings are values in /proc/net/snmp that are settings or gauges
// rather than counters; nstat leaves them out.
var Settings = map[string]bool{
	"IpForwarding": true, "IpDefaultTTL": true, "TcpRtoAlgorithm": true, "TcpRtoMin": true,
	"TcpRtoMax": true, "TcpMaxConn": true, "TcpCurrEstab": true,
}

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

// ParseList parses the format of /proc/net/snmp6: "Name value" lines.
func ParseList(b []byte) (List, error) {
	var out List
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
