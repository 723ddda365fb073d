package checks

import (
	"fmt"
	"strings"

	"github.com/netdiag/netdiag/counters"
	"github.com/netdiag/netdiag/snapshot"
)

// loadReasons are the drop reasons of a node that does not keep up with
// what it receives: a full per-CPU backlog (the softnet_stat dropped
// column), a failed allocation, a ring nobody drains fast enough.
var loadReasons = []string{"CPU_BACKLOG", "NOMEM", "FULL_RING"}

// softnetScope says what softnet_stat covers.
const softnetScope = "per CPU, the whole kernel: /proc/net/softnet_stat does not say which netns or device"

func init() {
	register(Check{
		ID:    "softnet-drops",
		Title: "the CPUs keep up with received packets (backlog, budget, memory, rings)",
		Needs: []snapshot.Part{snapshot.PartSoftnet},
		Run:   softnetDrops,
	})
}

func softnetDrops(s *snapshot.Snapshot) []Finding {
	var dropped, squeezed uint64
	var cpus []map[string]any
	for _, d := range counters.SoftnetDelta(s.Softnet[0], s.Softnet[1]) {
		if d.Dropped == 0 && d.TimeSqueeze == 0 {
			continue
		}
		dropped += uint64(d.Dropped)
		squeezed += uint64(d.TimeSqueeze)
		cpus = append(cpus, map[string]any{"cpu": d.CPU, "droppedDelta": d.Dropped, "timeSqueezeDelta": d.TimeSqueeze, "processedDelta": d.Processed})
	}
	seen := map[string]uint64{}
	funcs := map[string][]string{}
	for _, c := range s.Drops {
		for _, r := range loadReasons {
			if c.Reason == r {
				seen[r] += c.Count
				funcs[r] = append(funcs[r], c.Function)
			}
		}
	}
	if dropped == 0 && squeezed == 0 && len(seen) == 0 {
		return nil
	}
	secs := s.Interval.Seconds()
	sev := Info
	if dropped > 0 || seen["CPU_BACKLOG"] > 0 || seen["NOMEM"] > 0 {
		sev = Warn
	}
	var what, fix []string
	sysctl := func(name string) string {
		if v, ok := s.Node.Sysctl(name); ok {
			return v
		}
		return "unknown"
	}
	if dropped > 0 || seen["CPU_BACKLOG"] > 0 {
		what = append(what, fmt.Sprintf("%d packets dropped at full per-CPU backlogs (softnet_stat dropped; %d CPU_BACKLOG drop reasons)", dropped, seen["CPU_BACKLOG"]))
		fix = append(fix, fmt.Sprintf("raise net.core.netdev_max_backlog (now %s), e.g. `sysctl -w net.core.netdev_max_backlog=%s`, and persist it in /etc/sysctl.d", sysctl("net.core.netdev_max_backlog"), doubled(sysctl("net.core.netdev_max_backlog"), "2000")))
	}
	if squeezed > 0 {
		what = append(what, fmt.Sprintf("the receive softirq ran out of budget %d times with packets left (time_squeeze)", squeezed))
		fix = append(fix, fmt.Sprintf("raise net.core.netdev_budget (now %s) and net.core.netdev_budget_usecs (now %s) so that one softirq run takes more packets", sysctl("net.core.netdev_budget"), sysctl("net.core.netdev_budget_usecs")))
	}
	if dropped > 0 || squeezed > 0 {
		fix = append(fix, "spread receive work over more CPUs: RSS queues on the NIC (`ethtool -l DEV`, `ethtool -L DEV combined N`), or RPS for devices with one queue (veth, tunnels): `echo MASK > /sys/class/net/DEV/queues/rx-0/rps_cpus`")
	}
	if n := seen["NOMEM"]; n > 0 {
		what = append(what, fmt.Sprintf("%d packets dropped for lack of memory (NOMEM in %s)", n, strings.Join(uniq(funcs["NOMEM"]), ", ")))
		fix = append(fix, "the kernel could not allocate packet memory: look at memory pressure (`free -m`, /proc/buddyinfo, the node's pods' memory limits) and vm.min_free_kbytes")
	}
	if n := seen["FULL_RING"]; n > 0 {
		what = append(what, fmt.Sprintf("%d packets dropped at a full ring (FULL_RING in %s)", n, strings.Join(uniq(funcs["FULL_RING"]), ", ")))
		fix = append(fix, "a ring's reader does not keep up (tun_net_xmit: the process behind a tun/tap device, such as a VPN or a VM; a packet socket: a capture): find that process, make it read faster, or raise the device's queue (`ip link set DEV txqueuelen N`)")
	}
	ev := map[string]any{"droppedDelta": dropped, "timeSqueezeDelta": squeezed, "sampleSeconds": secs, "softnetScope": softnetScope}
	for _, name := range []string{"net.core.netdev_max_backlog", "net.core.netdev_budget", "net.core.netdev_budget_usecs"} {
		if v, ok := s.Node.Sysctl(name); ok {
			ev[name] = v
		}
	}
	if len(cpus) > 0 {
		ev["cpus"] = cpus
	}
	return []Finding{{
		Severity: sev,
		Summary:  fmt.Sprintf("the node does not keep up with received packets in %.0f s: %s", secs, strings.Join(what, "; ")),
		Evidence: ev,
		Fix:      fix,
		Object:   nodeObject(s),
	}}
}

// doubled is twice the number v, or def when v is not one.
func doubled(v, def string) string {
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil || n <= 0 {
		return def
	}
	return fmt.Sprint(2 * n)
}

func uniq(l []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
