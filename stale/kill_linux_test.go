package stale

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/node"
)

// startProc starts a command of our own, reaped and killed when the test ends.
func startProc(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Skipf("start %s: %v", name, err)
	}
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-waited
	})
	// Until it has exec'd: its comm is the command's.
	for i := 0; i < 500; i++ {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/comm"); err == nil && string(bytes.TrimSpace(b)) == "sleep" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cmd
}

// identify reads what Scan would record of a live process.
func identify(t *testing.T, pid int) Process {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	st, err := node.ParseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	cg, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	info, err := node.ParseCgroup(bytes.NewReader(cg))
	if err != nil {
		t.Fatal(err)
	}
	return Process{PID: pid, Comm: st.Comm, StartTime: st.StartTime, Cgroup: primaryCgroup(info)}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	st, err := node.ParseStat(b)
	return err == nil && st.State != 'Z'
}

func outcomes(acts []Action) []string {
	var out []string
	for _, a := range acts {
		out = append(out, a.Outcome)
	}
	return out
}

func TestKill(t *testing.T) {
	polite := startProc(t, "sleep", "60")
	// Ignores SIGTERM (an ignored disposition survives exec).
	stubborn := startProc(t, "sh", "-c", `trap "" TERM; exec sleep 60`)
	recycled := startProc(t, "sleep", "60")
	moved := startProc(t, "sleep", "60")
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Skip(err)
	}

	pRecycled := identify(t, recycled.Process.Pid)
	pRecycled.StartTime-- // as if the PID had been reused since the scan
	pMoved := identify(t, moved.Process.Pid)
	pMoved.Cgroup = "/kubepods/besteffort/pod" + uidA + "/" + gone
	groups := []Group{
		{PodUID: uidA, ContainerID: gone, Processes: []Process{identify(t, polite.Process.Pid), identify(t, stubborn.Process.Pid)}},
		{PodUID: uidB, ContainerID: ctrB, Processes: []Process{pRecycled, pMoved, {PID: exited.Process.Pid, StartTime: 1}}},
	}
	acts, err := Kill(context.Background(), groups, KillOptions{Grace: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{OutcomeTerminated, OutcomeKilled, OutcomeSkipped, OutcomeSkipped, OutcomeGone}, outcomes(acts)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s\n%+v", diff, acts)
	}
	wantSignals := [][]string{{"SIGTERM"}, {"SIGTERM", "SIGKILL"}, {}, {}, {}}
	for i, a := range acts {
		if diff := cmp.Diff(wantSignals[i], a.Signals); diff != "" {
			t.Errorf("pid %d: signals (-want +got):\n%s", a.PID, diff)
		}
	}
	if alive(polite.Process.Pid) || alive(stubborn.Process.Pid) {
		t.Errorf("a stale process survived Kill")
	}
	// Never signalled: still running.
	if !alive(recycled.Process.Pid) || !alive(moved.Process.Pid) {
		t.Errorf("Kill signalled a process whose start time or cgroup differ from the scan's")
	}
	if acts[2].Detail == "" || acts[3].Detail == "" {
		t.Errorf("skipped without a reason: %+v", acts[2:4])
	}
}

func TestKillRefusesInit(t *testing.T) {
	acts, err := Kill(context.Background(), []Group{{Processes: []Process{{PID: 1}, {PID: os.Getpid()}}}}, KillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{OutcomeFailed, OutcomeFailed}, outcomes(acts)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

// A cancelled context stops Kill before SIGKILL.
func TestKillCancelled(t *testing.T) {
	stubborn := startProc(t, "sh", "-c", `trap "" TERM; exec sleep 60`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	acts, err := Kill(ctx, []Group{{Processes: []Process{identify(t, stubborn.Process.Pid)}}}, KillOptions{Grace: time.Minute})
	if err == nil {
		t.Errorf("Kill with a cancelled context: no error")
	}
	if len(acts) != 1 || acts[0].Outcome != OutcomeFailed || !alive(stubborn.Process.Pid) {
		t.Errorf("acts %+v, alive %v: want failed before SIGKILL", acts, alive(stubborn.Process.Pid))
	}
	_ = syscall.Kill(stubborn.Process.Pid, syscall.SIGKILL)
}
