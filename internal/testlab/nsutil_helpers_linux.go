package testlab

import (
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// StartInNetNS starts NAME ARGS… inside the named netns with `ip netns exec`,
// which execs the command in place so the PID is the command's. It waits
// (at most 10 s) until the process is in the netns, and kills and reaps it by
// PID when the test ends. It returns the PID.
func StartInNetNS(tb testing.TB, ns string, name string, args ...string) int {
	tb.Helper()
	RequireTool(tb, "ip", name)
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s in netns %s: %v", name, ns, err)
	}
	pid := cmd.Process.Pid
	tb.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	var want syscall.Stat_t
	if err := syscall.Stat(NetNSPath(ns), &want); err != nil {
		tb.Fatalf("stat netns %s: %v", ns, err)
	}
	procNS := "/proc/" + strconv.Itoa(pid) + "/ns/net"
	for deadline := time.Now().Add(10 * time.Second); ; {
		var got syscall.Stat_t
		if err := syscall.Stat(procNS, &got); err != nil {
			tb.Fatalf("process %d (%s) is gone before entering netns %s: %v", pid, name, ns, err)
		}
		if got.Dev == want.Dev && got.Ino == want.Ino {
			return pid
		}
		if time.Now().After(deadline) {
			tb.Fatalf("process %d (%s) did not enter netns %s within 10s", pid, name, ns)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
