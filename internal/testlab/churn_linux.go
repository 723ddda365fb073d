package testlab

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Flippers are ndflip processes: each, once given a netns, keeps entering and
// leaving it, so its PID is one of the netns's processes one moment and not
// the next. Started before a lab, their PIDs are lower than every pod
// process's, as exec probes' are after PID wraparound: the lowest PID of a
// pod's netns keeps vanishing under a scanner.
type Flippers struct {
	procs []*flipper
}

type flipper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

// StartFlippers starts n idle flippers. They stop when the test ends; every
// one also stops by itself after maxRun.
func StartFlippers(tb testing.TB, n int, maxRun time.Duration) *Flippers {
	tb.Helper()
	bin := buildOnce(tb, "ndflip", "./internal/cmd/ndflip")
	f := &Flippers{}
	for i := 0; i < n; i++ {
		cmd := exec.Command(bin, "--max", maxRun.String())
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			tb.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start ndflip: %v", err)
		}
		p := &flipper{cmd: cmd, stdin: stdin, done: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(p.done) }()
		f.procs = append(f.procs, p)
	}
	tb.Cleanup(f.Stop)
	return f
}

// PIDs returns the flippers' PIDs.
func (f *Flippers) PIDs() []int {
	out := make([]int, len(f.procs))
	for i, p := range f.procs {
		out[i] = p.cmd.Process.Pid
	}
	return out
}

// Flip sends the flippers into the namespaces at paths, round robin.
func (f *Flippers) Flip(tb testing.TB, paths []string) {
	tb.Helper()
	for i, p := range f.procs {
		if _, err := io.WriteString(p.stdin, paths[i%len(paths)]+"\n"); err != nil {
			tb.Fatalf("start flipper %d: %v", p.cmd.Process.Pid, err)
		}
	}
}

// Stop ends every flipper (end of stdin, then SIGKILL after 5 s) and waits
// for them; later calls do nothing.
func (f *Flippers) Stop() {
	for _, p := range f.procs {
		p.stdin.Close()
	}
	for _, p := range f.procs {
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// ExecChurn runs short-lived processes in namespaces, like exec probes or
// `while :; do ip netns exec POD sleep 0.002; done`, one loop per netns.
type ExecChurn struct {
	stop    chan struct{}
	wg      sync.WaitGroup
	started atomic.Int64
	once    sync.Once
}

// StartExecChurn starts, in each netns at paths, one process after another
// (`nsenter --net=PATH sleep 0.00N`) until Stop, the end of the test, maxRun
// or maxProcs processes in all.
func StartExecChurn(tb testing.TB, paths []string, maxRun time.Duration, maxProcs int64) *ExecChurn {
	tb.Helper()
	RequireTool(tb, "nsenter", "sleep")
	c := &ExecChurn{stop: make(chan struct{})}
	deadline := time.Now().Add(maxRun)
	for i, path := range paths {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for n := 0; ; n++ {
				select {
				case <-c.stop:
					return
				default:
				}
				if time.Now().After(deadline) || c.started.Add(1) > maxProcs {
					return
				}
				d := "0.00" + strconv.Itoa(1+(n+i)%5)
				_ = exec.Command("nsenter", "--net="+path, "sleep", d).Run()
			}
		}()
	}
	tb.Cleanup(c.Stop)
	return c
}

// Started is how many processes the churn has started.
func (c *ExecChurn) Started() int64 { return c.started.Load() }

// Stop ends the loops and waits for their last process.
func (c *ExecChurn) Stop() {
	c.once.Do(func() { close(c.stop) })
	c.wg.Wait()
}

var (
	builtMu sync.Mutex
	built   = map[string]string{}
)

// buildOnce builds a main package of the module once per test binary.
func buildOnce(tb testing.TB, name, pkg string) string {
	tb.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "netdiag-"+name)
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", p, pkg)
	cmd.Dir = ModuleRoot(tb)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, strings.TrimSpace(string(out)))
	}
	built[pkg] = p
	return p
}
