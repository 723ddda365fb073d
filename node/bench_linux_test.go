package node

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
)

// BenchmarkResolvePodIP200 measures what `netdiag ip addr --pod-ip IP` does
// before its real work on a node with 200 pods and no runtime socket: Load
// (cgroups of every process, kubelet files, the netns scan) and Resolve.
func BenchmarkResolvePodIP200(b *testing.B) {
	lab := testlab.NewLab(b, 200)
	want := lab.Pods[len(lab.Pods)-1]
	o := Options{HostRoot: lab.HostRoot, NodeNetNS: lab.NodeNetNS}
	var r0, r1 syscall.Rusage
	b.ResetTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	for i := 0; i < b.N; i++ {
		inv, err := Load(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		p, err := inv.Resolve(Selector{PodIP: want.IP})
		if err != nil {
			b.Fatal(err)
		}
		if p.UID != want.UID || p.HostInterface == nil || p.HostInterface.Name != want.HostVeth {
			b.Fatalf("resolved %+v, want %s", p, want.Name)
		}
	}
	// CPU time says how much work one resolution is even when other jobs
	// share the machine and stretch the wall-clock time.
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// TestLabInventory checks Load against a simulated node directly, with the
// foreign-node filter: pods of other labs on this host are not listed.
func TestLabInventory(t *testing.T) {
	lab := testlab.NewLab(t, 3)
	other := testlab.NewLab(t, 1)
	inv, err := Load(context.Background(), Options{HostRoot: lab.HostRoot, NodeNetNS: lab.NodeNetNS})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Pods) != 3 {
		t.Fatalf("got %d pods, want 3: %+v", len(inv.Pods), inv.Pods)
	}
	for i, lp := range lab.Pods {
		p := inv.Pods[i]
		if p.UID != lp.UID || p.Name != lp.Name || len(p.IPs) != 1 || p.IPs[0] != lp.IP || p.PID != lp.PID {
			t.Errorf("pod %d = %+v, want %+v", i, p, lp)
		}
	}
	for _, pr := range inv.Processes {
		if pr.PodUID == other.Pods[0].UID {
			t.Errorf("process %d of the other lab's pod listed", pr.PID)
		}
	}
	// From the other lab's point of view, only its pod.
	inv, err = Load(context.Background(), Options{HostRoot: other.HostRoot, NodeNetNS: other.NodeNetNS})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Pods) != 1 || inv.Pods[0].UID != other.Pods[0].UID {
		t.Errorf("other lab: %+v", inv.Pods)
	}
	// Without the netns scan the lab pods are still found by cgroup, named
	// from kubelet's files.
	inv, err = Load(context.Background(), Options{HostRoot: lab.HostRoot, NodeNetNS: lab.NodeNetNS, NoNetNSScan: true, NoRuntime: true})
	if err != nil {
		t.Fatal(err)
	}
	byUID := map[string]Pod{}
	for _, p := range inv.Pods {
		byUID[p.UID] = p
	}
	for _, lp := range lab.Pods {
		p, ok := byUID[lp.UID]
		if !ok || p.Name != lp.Name || p.PID != lp.PID || p.IPs[0] != lp.IP {
			t.Errorf("without netns scan: pod %s = %+v", lp.Name, p)
		}
	}
}
