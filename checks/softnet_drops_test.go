package checks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/counters"
	"github.com/netdiag/netdiag/dropmon"
	"github.com/netdiag/netdiag/snapshot"
)

// softnetFinding runs softnet-drops on s; nil when it found nothing.
func softnetFinding(t *testing.T, s *snapshot.Snapshot) *Finding {
	t.Helper()
	cs, err := Select([]string{"softnet-drops"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := Run(s, cs)
	if len(fs) > 1 {
		t.Fatalf("%d findings: %+v", len(fs), fs)
	}
	if len(fs) == 0 {
		return nil
	}
	return &fs[0]
}

func softnetSnapshot(before, after []counters.Softnet, drops ...dropmon.Count) *snapshot.Snapshot {
	s := healthy()
	s.Softnet = [2][]counters.Softnet{before, after}
	s.Node.Sysctls["net.core.netdev_max_backlog"] = "1000"
	s.Node.Sysctls["net.core.netdev_budget"] = "300"
	s.Drops = drops
	return s
}

// TestSoftnetDrops: the rule of softnet-drops over softnet_stat samples and
// drop reasons, each case against the same flat counters.
func TestSoftnetDrops(t *testing.T) {
	flat := []counters.Softnet{{CPU: 0, Processed: 100, Dropped: 7, TimeSqueeze: 3}, {CPU: 1, Processed: 50}}
	grown := func(cpu int, dropped, squeeze uint32) []counters.Softnet {
		out := append([]counters.Softnet(nil), flat...)
		out[cpu].Dropped += dropped
		out[cpu].TimeSqueeze += squeeze
		out[cpu].Processed += 1000
		return out
	}
	tests := []struct {
		name     string
		after    []counters.Softnet
		drops    []dropmon.Count
		severity string // "" for no finding
		says     []string
	}{
		{name: "flat, no drops", after: flat},
		{name: "totals since boot alone are not a finding", after: flat},
		{name: "dropped grows", after: grown(1, 40, 0), severity: Warn,
			says: []string{"40 packets dropped at full per-CPU backlogs", "netdev_max_backlog (now 1000)", "=2000", "RPS"}},
		{name: "time_squeeze grows", after: grown(0, 0, 12), severity: Info,
			says: []string{"out of budget 12 times", "netdev_budget (now 300)"}},
		{name: "CPU_BACKLOG seen", after: flat, severity: Warn,
			drops: []dropmon.Count{{Reason: "CPU_BACKLOG", Function: "enqueue_to_backlog", Count: 9}},
			says:  []string{"9 CPU_BACKLOG", "netdev_max_backlog"}},
		{name: "NOMEM seen", after: flat, severity: Warn,
			drops: []dropmon.Count{{Reason: "NOMEM", Function: "__netif_receive_skb_core", Count: 4}},
			says:  []string{"4 packets dropped for lack of memory (NOMEM in __netif_receive_skb_core)", "memory pressure"}},
		{name: "FULL_RING seen", after: flat, severity: Info,
			drops: []dropmon.Count{{Reason: "FULL_RING", Function: "tun_net_xmit", Count: 991}},
			says:  []string{"991 packets dropped at a full ring (FULL_RING in tun_net_xmit)", "txqueuelen"}},
		{name: "other reasons are not load", after: flat,
			drops: []dropmon.Count{{Reason: "NO_SOCKET", Function: "tcp_v4_rcv", Count: 500}, {Reason: "NETFILTER_DROP", Function: "nft_do_chain", Count: 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := softnetFinding(t, softnetSnapshot(flat, tt.after, tt.drops...))
			if tt.severity == "" {
				if f != nil {
					t.Fatalf("finding %+v, want none", f)
				}
				return
			}
			if f == nil {
				t.Fatalf("no finding, want %s", tt.severity)
			}
			if f.Severity != tt.severity {
				t.Errorf("severity %s, want %s: %s", f.Severity, tt.severity, f.Summary)
			}
			text := f.Summary + "\n" + strings.Join(f.Fix, "\n")
			for _, want := range tt.says {
				if !strings.Contains(text, want) {
					t.Errorf("finding does not say %q:\n%s", want, text)
				}
			}
			if len(tt.drops) > 0 {
				want := []map[string]any{{"reason": tt.drops[0].Reason, "function": tt.drops[0].Function, "count": tt.drops[0].Count}}
				if diff := cmp.Diff(want, f.Evidence["dropReasons"]); diff != "" {
					t.Errorf("drop evidence (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestSoftnetDropsPerCPU: the evidence names the CPU whose backlog
// overflowed, with its growth in the sample, not its total since boot.
func TestSoftnetDropsPerCPU(t *testing.T) {
	before := []counters.Softnet{{CPU: 0, Dropped: 7}, {CPU: 3, Dropped: 100, Processed: 10}}
	after := []counters.Softnet{{CPU: 0, Dropped: 7}, {CPU: 3, Dropped: 125, Processed: 60}}
	f := softnetFinding(t, softnetSnapshot(before, after))
	if f == nil {
		t.Fatal("no finding")
	}
	want := []map[string]any{{"cpu": 3, "droppedDelta": uint32(25), "timeSqueezeDelta": uint32(0), "processedDelta": uint32(50)}}
	if diff := cmp.Diff(want, f.Evidence["cpus"]); diff != "" {
		t.Errorf("cpus (-want +got):\n%s", diff)
	}
	if f.Evidence["droppedDelta"] != uint64(25) || f.Evidence["net.core.netdev_max_backlog"] != "1000" {
		t.Errorf("evidence %v", f.Evidence)
	}
}

// TestSoftnetDropsUnavailable: without softnet_stat the check says so
// instead of judging.
func TestSoftnetDropsUnavailable(t *testing.T) {
	s := softnetSnapshot(nil, nil)
	s.Unavailable = map[snapshot.Part]string{snapshot.PartSoftnet: "read softnet_stat: permission denied"}
	f := softnetFinding(t, s)
	if f == nil || f.Severity != Info || !strings.Contains(f.Summary, "could not run") {
		t.Errorf("finding %+v", f)
	}
}
