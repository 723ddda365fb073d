package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	ucli "github.com/urfave/cli/v2"
)

func init() {
	register(&ucli.Command{
		Name:      "exec",
		Usage:     "run a node binary inside a pod's network namespace (like nsenter -n)",
		ArgsUsage: "SELECTOR -- CMD [ARGS…]",
		Description: "Only the network namespace changes: the command sees the node's files and\n" +
			"processes. stdin, stdout and stderr pass through, and netdiag exits with the\n" +
			"command's exit code (127: not found, 126: cannot run, 128+N: killed by signal N).",
		Flags:  selectorFlags(),
		Action: runExec,
	})
}

func runExec(c *ucli.Context) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		return usageErrorf("exec needs a command: netdiag exec --pod-ip IP -- CMD [ARGS…]")
	}
	if selectorOf(c).Empty() {
		return usageErrorf("exec needs a pod: give --pod-ip, --pod, --pod-uid, --pid or --netns")
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		code := 127
		if errors.Is(err, os.ErrPermission) {
			code = 126
		}
		return &exitError{code: code, err: fmt.Errorf("exec: %w", err)}
	}
	ns, pod, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()

	e := envOf(c)
	cmd := exec.Command(path, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr

	// Ctrl-C reaches the child through the terminal's process group; netdiag
	// waits for it instead of dying first. SIGTERM aimed at netdiag is passed on.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)

	// The child is forked from the thread that Do switched into the netns, so
	// it starts there; nothing else about netdiag changes.
	if err := ns.Do(cmd.Start); err != nil {
		code := ExitError
		if errors.Is(err, os.ErrPermission) {
			code = 126
		}
		return &exitError{code: code, err: fmt.Errorf("exec %s in %s: %w", args[0], pod.FullName(), err)}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if s != os.Interrupt && s != syscall.SIGQUIT {
					_ = cmd.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &exitError{code: 128 + int(ws.Signal())}
		}
		return &exitError{code: ee.ExitCode()}
	}
	return fmt.Errorf("exec %s: %w", args[0], err)
}
