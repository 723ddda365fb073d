package node

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// TestDiscoveryUnderProcessChurn: pods must not vanish from discovery while
// short-lived processes come and go in their netns. Flippers started before
// the lab hold the lowest PID of each pod's netns and keep leaving it, as
// exec probes do after PID wraparound, and a loop of `nsenter … sleep`
// processes runs in every pod. Each of 1,000 lookups must list every pod,
// with its name, IP and own process, and resolve --pod-ip to the pod's netns.
func TestDiscoveryUnderProcessChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 lookups under churn")
	}
	const pods, lookups = 4, 1000
	testlab.RequireRoot(t)
	flippers := testlab.StartFlippers(t, 3*pods, 15*time.Minute)
	lab := testlab.NewLab(t, pods)
	flip := map[int]bool{}
	for _, pid := range flippers.PIDs() {
		flip[pid] = true
	}
	// PIDs wrapping while the lab came up would put the pods below the
	// flippers: the lookups still must be right, but the race is not forced.
	forced := true
	var paths []string
	podIDs := map[nsutil.ID]bool{}
	for _, lp := range lab.Pods {
		if lp.PID < slices.Max(flippers.PIDs()) {
			forced = false
		}
		paths = append(paths, lp.NetNS)
		podIDs[statID(t, lp.NetNS)] = true
	}
	flippers.Flip(t, paths)
	churn := testlab.StartExecChurn(t, paths, 15*time.Minute, 500_000)

	// How often the listing saw a flipper as the lowest PID of a pod netns:
	// each such time the pod vanished before the fix.
	provoked := 0
	afterList = func(entries []nsutil.Entry) {
		for _, e := range entries {
			if podIDs[e.ID] && len(e.PIDs) > 0 && flip[e.PIDs[0]] {
				provoked++
			}
		}
	}
	defer func() { afterList = nil }()

	o := Options{HostRoot: lab.HostRoot, NodeNetNS: lab.NodeNetNS}
	deadline := time.Now().Add(10 * time.Minute)
	var wrong []string
	for i := 0; i < lookups; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d lookups in 10 minutes", i, lookups)
		}
		if err := lookup(o, lab, lab.Pods[i%pods]); err != nil {
			wrong = append(wrong, fmt.Sprintf("lookup %d: %v", i, err))
		}
	}
	afterList = nil
	churn.Stop()
	t.Logf("%d lookups; a flipper was the lowest PID of a pod netns %d times; %d short-lived processes", lookups, provoked, churn.Started())
	if len(wrong) > 0 {
		t.Errorf("%d of %d lookups wrong; the first:\n%s", len(wrong), lookups, wrong[0])
	}
	if forced && provoked < lookups/10 {
		t.Errorf("a flipper was the lowest PID of a pod netns in only %d listings: the test did not provoke the race", provoked)
	}
}

// lookup is `pods` and `ip addr --pod-ip IP` in one: Load lists every pod of
// the lab right, and the one with want's IP resolves and opens.
func lookup(o Options, lab *testlab.Lab, want testlab.LabPod) error {
	inv, err := Load(context.Background(), o)
	if err != nil {
		return err
	}
	if len(inv.Pods) != len(lab.Pods) {
		return fmt.Errorf("listed %d pods, want %d: %+v (warnings %q)", len(inv.Pods), len(lab.Pods), inv.Pods, inv.Warnings)
	}
	for i, lp := range lab.Pods {
		p := inv.Pods[i] // sorted by name: web-0, web-1, …
		if p.UID != lp.UID || p.Name != lp.Name || !slices.Equal(p.IPs, []string{lp.IP}) || p.PID != lp.PID ||
			p.HostInterface == nil || p.HostInterface.Name != lp.HostVeth {
			return fmt.Errorf("pod %d = %+v, want %s %s PID %d veth %s", i, p, lp.Name, lp.IP, lp.PID, lp.HostVeth)
		}
	}
	p, err := inv.Resolve(Selector{PodIP: want.IP})
	if err != nil {
		return err
	}
	ns, err := p.OpenNetNS()
	if err != nil {
		return err
	}
	defer ns.Close()
	if ns.ID().Ino != p.NetNS.Inode || p.UID != want.UID {
		return fmt.Errorf("--pod-ip %s opened %v of %s, want %s", want.IP, ns.ID(), p.FullName(), want.Name)
	}
	return nil
}
