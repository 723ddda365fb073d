package counters

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Softnet is one CPU's line of /proc/net/softnet_stat: what the CPU's
// receive softirq did since boot (net/core/net-procfs.c). The counters are
// 32 bits wide and wrap; SoftnetDelta subtracts them modulo 2^32.
type Softnet struct {
	CPU int `json:"cpu"`
	// Processed counts packets taken off the CPU's backlog and NAPI polls.
	Processed uint32 `json:"processed"`
	// Dropped counts packets dropped because the CPU's backlog queue held
	// net.core.netdev_max_backlog packets already (drop reason
	// CPU_BACKLOG).
	Dropped uint32 `json:"dropped"`
	// TimeSqueeze counts the times net_rx_action stopped with work left,
	// out of net.core.netdev_budget packets or netdev_budget_usecs.
	TimeSqueeze uint32 `json:"timeSqueeze"`
	// ReceivedRPS counts packets other CPUs steered here with RPS/RFS.
	ReceivedRPS uint32 `json:"receivedRPS"`
	// FlowLimit counts packets dropped by the flow limit.
	FlowLimit uint32 `json:"flowLimit"`
}

// Bounds on what ParseSoftnet accepts: more CPUs than Linux supports, or
// more columns than any kernel prints, mean the bytes are not softnet_stat.
const (
	maxSoftnetCPUs   = 8192
	maxSoftnetFields = 32
)

var errSoftnet = errors.New("not /proc/net/softnet_stat")

// ParseSoftnet parses /proc/net/softnet_stat: a line of hex columns per
// online CPU. Kernels 5.10 and later print the CPU number in column 13;
// older ones do not, and then line N is CPU N (wrong only when a CPU is
// offline, which those kernels do not say). Columns past the known ones
// (6.7 adds two queue lengths) are ignored.
func ParseSoftnet(b []byte) ([]Softnet, error) {
	var out []Softnet
	seen := map[int]bool{}
	for n, line := range bytes.Split(b, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 || len(f) > maxSoftnetFields {
			return nil, fmt.Errorf("parse softnet_stat line %d: %d columns: %w", n+1, len(f), errSoftnet)
		}
		if len(out) >= maxSoftnetCPUs {
			return nil, fmt.Errorf("parse softnet_stat: more than %d CPUs: %w", maxSoftnetCPUs, errSoftnet)
		}
		v := make([]uint32, len(f))
		for i, s := range f {
			x, err := strconv.ParseUint(string(s), 16, 32)
			if err != nil {
				return nil, fmt.Errorf("parse softnet_stat line %d column %d %q: %w", n+1, i+1, clipField(s), errSoftnet)
			}
			v[i] = uint32(x)
		}
		sn := Softnet{CPU: len(out), Processed: v[0], Dropped: v[1], TimeSqueeze: v[2]}
		if len(v) > 9 {
			sn.ReceivedRPS = v[9]
		}
		if len(v) > 10 {
			sn.FlowLimit = v[10]
		}
		if len(v) > 12 {
			sn.CPU = int(v[12])
		}
		if sn.CPU >= maxSoftnetCPUs || seen[sn.CPU] {
			return nil, fmt.Errorf("parse softnet_stat line %d: CPU %d twice or out of range: %w", n+1, sn.CPU, errSoftnet)
		}
		seen[sn.CPU] = true
		out = append(out, sn)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("parse softnet_stat: no CPU lines: %w", errSoftnet)
	}
	return out, nil
}

func clipField(s []byte) string {
	if len(s) > 16 {
		return string(s[:16]) + "…"
	}
	return string(s)
}

// SoftnetDelta is the growth of each CPU's counters from before to after,
// by CPU number; a CPU missing from either sample (hot-plugged) is left
// out. CPU keeps its number.
func SoftnetDelta(before, after []Softnet) []Softnet {
	prev := map[int]Softnet{}
	for _, s := range before {
		prev[s.CPU] = s
	}
	var out []Softnet
	for _, a := range after {
		b, ok := prev[a.CPU]
		if !ok {
			continue
		}
		out = append(out, Softnet{CPU: a.CPU, Processed: a.Processed - b.Processed, Dropped: a.Dropped - b.Dropped,
			TimeSqueeze: a.TimeSqueeze - b.TimeSqueeze, ReceivedRPS: a.ReceivedRPS - b.ReceivedRPS, FlowLimit: a.FlowLimit - b.FlowLimit})
	}
	return out
}
