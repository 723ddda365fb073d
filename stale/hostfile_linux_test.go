package stale

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestScanFIFOProcFiles: proc files that are FIFOs (a fake or hostile proc
// root) must not hang a scan: the process whose cgroup cannot be read is
// skipped, one whose cmdline cannot be read shows [comm].
func TestScanFIFOProcFiles(t *testing.T) {
	proc := filepath.Join(t.TempDir(), "proc")
	if out, err := exec.Command("cp", "-a", "testdata/proc", proc).CombinedOutput(); err != nil {
		t.Fatalf("copy testdata/proc: %v\n%s", err, out)
	}
	for _, f := range []string{"401/cgroup", "103/cmdline"} {
		p := filepath.Join(proc, f)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type result struct {
		res *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Scan(fixtureInventory(), Options{ProcRoot: proc, HostRoot: "testdata/host"})
		done <- result{res, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Scan still running after 10s")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	found := map[int]Process{}
	for _, g := range r.res.Stale {
		for _, p := range g.Processes {
			found[p.PID] = p
		}
	}
	if _, ok := found[401]; ok {
		t.Errorf("process 401 (cgroup unreadable) reported: %+v", found[401])
	}
	if p, ok := found[103]; !ok || p.Cmdline != "[httpd]" {
		t.Errorf("process 103 (cmdline a FIFO) = %+v, want Cmdline [httpd]", p)
	}
}
