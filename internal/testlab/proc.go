package testlab

import (
	"bufio"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tcpdump is a tcpdump writing a capture file inside a netns.
type Tcpdump struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once stderr is drained and Wait returned
	err    error         // Wait's, set before exited closes
}

// StartTcpdump runs `tcpdump -U -w FILE ARGS…` in the named netns and waits
// until it listens. It is killed when the test ends if Stop did not end it.
func StartTcpdump(tb testing.TB, ns, file string, args ...string) *Tcpdump {
	tb.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, "tcpdump", "-U", "-w", file}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &Tcpdump{cmd: cmd, exited: make(chan struct{})}
	listening := make(chan struct{})
	var early strings.Builder // what tcpdump said before it listened
	go func(listening chan struct{}) {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			switch {
			case listening == nil:
			case strings.Contains(sc.Text(), "listening on"):
				close(listening)
				listening = nil
			default:
				early.WriteString(sc.Text() + "\n")
			}
		}
		p.err = cmd.Wait()
		close(p.exited)
	}(listening)
	tb.Cleanup(func() { _ = cmd.Process.Kill(); <-p.exited })
	select {
	case <-listening:
	case <-p.exited:
		tb.Fatalf("tcpdump %v: %v\n%s", args, p.err, early.String())
	case <-time.After(10 * time.Second):
		tb.Fatalf("tcpdump %v did not start listening", args)
	}
	return p
}

// Stop asks tcpdump to finish its file (SIGINT) and waits for it to exit.
func (p *Tcpdump) Stop(tb testing.TB) {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		tb.Fatal("tcpdump did not stop on SIGINT")
	}
}
