package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/fleet/frame"
)

// agent is the node side of kubectl-netdiag: it runs one netdiag command
// as a child and sends its stdout, stderr, heartbeats and exit code as
// frames (fleet/frame) on its own stdout, which is a Kubernetes exec
// stream. Hidden: operators never type it.
func init() {
	register(&ucli.Command{
		Name:      "agent",
		Hidden:    true,
		Usage:     "run a netdiag command for kubectl-netdiag, framed on stdout (internal)",
		ArgsUsage: "-- NETDIAG-ARGS…",
		Flags: []ucli.Flag{
			&ucli.DurationFlag{Name: "heartbeat", Value: 3 * time.Second, Usage: "time between heartbeat frames"},
			&ucli.BoolFlag{Name: "stop-on-eof", Usage: "interrupt the command (SIGINT, then SIGKILL after --grace) when stdin ends: the plugin closes it to stop"},
			&ucli.DurationFlag{Name: "grace", Value: 10 * time.Second, Usage: "time between SIGINT and SIGKILL"},
			&ucli.BoolFlag{Name: "clock", Usage: "send this node's clock and exit (for the clock offset)"},
			&ucli.BoolFlag{Name: "sha256", Usage: "send the sha256 of this binary and exit (when the image has no sha256sum)"},
		},
		Action: runAgent,
	})
}

func runAgent(c *ucli.Context) error {
	e := envOf(c)
	fw, err := frame.NewWriter(e.stdout)
	if err != nil {
		return err
	}
	switch {
	case c.Bool("clock"):
		if err := fw.WriteInt(frame.Clock, time.Now().UnixNano()); err != nil {
			return err
		}
		return fw.WriteInt(frame.Exit, 0)
	case c.Bool("sha256"):
		sum, err := selfSHA256()
		if err != nil {
			fw.Write(frame.Fail, []byte(err.Error()))
			return fw.WriteInt(frame.Exit, ExitError)
		}
		if err := fw.Write(frame.Sum, []byte(sum)); err != nil {
			return err
		}
		return fw.WriteInt(frame.Exit, 0)
	}
	args := c.Args().Slice()
	if len(args) == 0 {
		return usageErrorf("agent needs a netdiag command: netdiag agent -- doctor -o json")
	}
	if c.Duration("heartbeat") <= 0 {
		return usageErrorf("--heartbeat must be positive")
	}
	code, err := agentRun(c, fw, args, e.stdin)
	if err != nil {
		if werr := fw.Write(frame.Fail, []byte(err.Error())); werr != nil {
			return err
		}
	}
	return fw.WriteInt(frame.Exit, int64(code))
}

// agentRun runs this binary with args, framing its output; it returns the
// child's exit code (128+N when a signal N ended it, as a shell reports).
func agentRun(c *ucli.Context, fw *frame.Writer, args []string, stdin io.Reader) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return ExitError, fmt.Errorf("find netdiag's own binary: %w", err)
	}
	child := exec.Command(self, args...)
	child.Stdout = fw.StreamWriter(frame.Stdout)
	child.Stderr = fw.StreamWriter(frame.Stderr)
	// Its own process group: the SIGINT is for it, not for this agent.
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := child.Start(); err != nil {
		return ExitError, fmt.Errorf("start netdiag %s: %w", args[0], err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	stop := func() {
		_ = child.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(c.Duration("grace")):
			_ = child.Process.Kill()
		}
	}
	wg.Add(1)
	go func() { // heartbeats; a plugin that is gone ends the child
		defer wg.Done()
		t := time.NewTicker(c.Duration("heartbeat"))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if fw.WriteInt(frame.Heartbeat, time.Now().UnixNano()) != nil {
					stop()
					return
				}
			}
		}
	}()
	if c.Bool("stop-on-eof") {
		go func() { // not waited for: a read of stdin cannot be cancelled
			_, _ = io.Copy(io.Discard, stdin)
			select {
			case <-done:
			default:
				stop()
			}
		}()
	}
	err = child.Wait()
	close(done)
	wg.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	if err != nil {
		return ExitError, fmt.Errorf("run netdiag %s: %w", args[0], err)
	}
	return ExitOK, nil
}

func selfSHA256() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find netdiag's own binary: %w", err)
	}
	f, err := os.Open(self)
	if err != nil {
		return "", fmt.Errorf("read netdiag's own binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read netdiag's own binary: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
