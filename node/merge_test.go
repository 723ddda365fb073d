package node

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/nsutil"
)

// TestMergeScan covers what only the netns scan finds: pods named through
// kubelet's etc-hosts, runtime pods matched by IP, and pods of other nodes.
func TestMergeScan(t *testing.T) {
	node := NetNSRef{Inode: 1, Dev: 4, Path: "/proc/1/ns/net"}
	ref := func(ino uint64) NetNSRef {
		return NetNSRef{Inode: ino, Dev: 4, Path: "/run/netns/x" + string(rune('0'+ino%10))}
	}
	scan := &netnsScan{
		Pods: map[nsutil.ID]*scannedNS{
			// Named from etc-hosts (10.4.1.17 → uidWeb → default/web-…).
			{Dev: 4, Ino: 11}: {Ref: ref(11), PIDs: []int{700, 701}, IPs: []string{"10.4.1.17"}, Iface: Iface{"eth0", 2, 1450}, Host: HostIface{"vethA", 7, 1450, "cbr0", true}},
			// The CRI pod whose netns path could not be read.
			{Dev: 4, Ino: 12}: {Ref: ref(12), PIDs: []int{800}, IPs: []string{"10.4.1.30"}, Iface: Iface{"eth0", 2, 1450}, Host: HostIface{"vethB", 8, 1450, "", true}},
			// Nobody knows it: only its IP.
			{Dev: 4, Ino: 13}: {Ref: ref(13), PIDs: []int{900}, IPs: []string{"10.4.1.40"}, Iface: Iface{"eth0", 2, 1450}, Host: HostIface{"vethC", 9, 1450, "cbr0", true}},
		},
		Attached: map[nsutil.ID]bool{{Dev: 4, Ino: 11}: true, {Dev: 4, Ino: 12}: true, {Dev: 4, Ino: 13}: true},
	}
	f := found{
		node: node, hostRoot: "/nonexistent", procRoot: "/nonexistent",
		runtimeAnswered: map[string]bool{SourceCRI: true},
		runtime: []runtimePod{
			{Source: SourceCRI, SandboxID: "sb30", Namespace: "prod", Name: "api-0", UID: "30303030-0000-4000-8000-000000000030", State: "ready", IPs: []string{"10.4.1.30"}, NetNSPath: "/var/run/netns/gone"},
		},
		procs: []Process{
			// A pod of another node on this host: its netns is not attached to ours.
			{PID: 5000, PodUID: uidOther, ContainerID: ctEtcd, NetNS: NetNSRef{Inode: 99, Dev: 4}},
		},
		kubelet: loadKubelet(filepath.Join("testdata", "kubelet", "hostroot")),
		scan:    scan,
	}
	pods, procs, warnings := merge(f)
	want := []Pod{
		{Namespace: "default", Name: "web-7d4b9c8f6-x2x9q", UID: uidWeb, IPs: []string{"10.4.1.17"}, PID: 700, NetNS: ref(11),
			Interface: &Iface{"eth0", 2, 1450}, HostInterface: &HostIface{"vethA", 7, 1450, "cbr0", true},
			Containers: []Container{}, Sources: []string{SourceKubelet, SourceNetNS}},
		{Namespace: "prod", Name: "api-0", UID: "30303030-0000-4000-8000-000000000030", IPs: []string{"10.4.1.30"}, PID: 800, NetNS: ref(12),
			Interface: &Iface{"eth0", 2, 1450}, HostInterface: &HostIface{"vethB", 8, 1450, "", true},
			Containers: []Container{}, Sources: []string{SourceCRI, SourceNetNS}, SandboxID: "sb30", SandboxState: "ready"},
		{IPs: []string{"10.4.1.40"}, PID: 900, NetNS: ref(13),
			Interface: &Iface{"eth0", 2, 1450}, HostInterface: &HostIface{"vethC", 9, 1450, "cbr0", true},
			Containers: []Container{}, Sources: []string{SourceNetNS}},
	}
	if diff := cmp.Diff(want, pods); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	if len(procs) != 0 {
		t.Errorf("processes of the other node's pod kept: %+v", procs)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "skipped 1 pods") {
		t.Errorf("warnings = %q", warnings)
	}

	// Without a scan nothing can tell another node's pod: it is kept.
	f.scan = nil
	pods, _, _ = merge(f)
	if len(pods) != 2 {
		t.Errorf("without scan: %d pods, want the CRI pod and the cgroup pod", len(pods))
	}
}

func TestMergeSandboxChoice(t *testing.T) {
	uid := "40404040-0000-4000-8000-000000000040"
	f := found{
		node: NetNSRef{Inode: 1}, runtimeAnswered: map[string]bool{SourceCRI: true},
		runtime: []runtimePod{
			{Source: SourceCRI, SandboxID: "new-notready", UID: uid, Name: "a", Namespace: "n", State: "notready", CreatedAt: 300},
			{Source: SourceCRI, SandboxID: "ready", UID: uid, Name: "a", Namespace: "n", State: "ready", CreatedAt: 200},
			{Source: SourceCRI, SandboxID: "old-ready", UID: uid, Name: "a", Namespace: "n", State: "ready", CreatedAt: 100},
		},
	}
	f.runtime[2].Containers = []Container{{ID: "c-old", Name: "app", State: "exited"}}
	f.procs = []Process{
		{PID: 10, PodUID: uid, ContainerID: "ready"},
		{PID: 11, PodUID: uid, ContainerID: "old-ready"}, // older sandbox's pause, lingering
		{PID: 12, PodUID: uid, ContainerID: "c-old"},     // container of the older sandbox
		{PID: 13, PodUID: uid, ContainerID: "c-stale"},   // no runtime knows it
	}
	pods, _, _ := merge(f)
	if len(pods) != 1 || pods[0].SandboxID != "ready" {
		t.Fatalf("merge chose %+v, want the newest ready sandbox", pods)
	}
	want := []Container{
		{ID: "c-old", Name: "app", State: "exited", PIDs: []int{12}},
		{ID: "c-stale", State: StateNotInRuntime, PIDs: []int{13}},
	}
	if diff := cmp.Diff(want, pods[0].Containers); diff != "" || pods[0].PID != 10 {
		t.Errorf("pid %d, containers (-want +got):\n%s", pods[0].PID, diff)
	}
}

func TestUnionIPs(t *testing.T) {
	got := unionIPs([]string{"fd00::1", "10.0.0.1"}, []string{"::ffff:10.0.0.1", "bogus", "10.0.0.2", "FD00::1"})
	if diff := cmp.Diff([]string{"10.0.0.1", "10.0.0.2", "fd00::1"}, got); diff != "" {
		t.Errorf("unionIPs (-want +got):\n%s", diff)
	}
}
