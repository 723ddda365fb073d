// Command kubectl-netdiag runs netdiag on many nodes of a Kubernetes
// cluster through the API server: `kubectl netdiag doctor --all-nodes`.
// Nothing is installed on the nodes and no image is pulled (see
// docs/fleet.md). The work is in package fleet; this is the command line.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	ucli "github.com/urfave/cli/v2"
	"k8s.io/klog/v2"
)

// Exit codes, as netdiag's.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitProblems = 3
)

// Version is set at link time by the Makefile.
var Version = "dev"

func main() {
	if err := run(); err != nil {
		os.Exit(exitCode(err))
	}
}

// exitErr carries an exit code; a nil err prints nothing.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitErr) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func exitCode(err error) int {
	var ee *exitErr
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitError
}

func run() error {
	// client-go logs through klog, e.g. "use of closed network connection"
	// when an interrupted exec stream closes: errors that matter come back
	// as errors and are said once, here.
	klog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newApp(os.Stdin, os.Stdout, os.Stderr).RunContext(ctx, os.Args)
	if err != nil {
		// An empty message is a node command's own exit code: it has
		// said why itself.
		if msg := err.Error(); msg != "" {
			fmt.Fprintf(os.Stderr, "kubectl-netdiag: %s\n", strings.ReplaceAll(msg, "\n", "; "))
			if exitCode(err) == exitUsage {
				fmt.Fprintln(os.Stderr, "Run 'kubectl netdiag --help' for usage.")
			}
		}
	}
	return err
}

var commands []*ucli.Command

func register(c *ucli.Command) { commands = append(commands, c) }

func newApp(stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	ucli.VersionFlag = &ucli.BoolFlag{Name: "version", Usage: "print the version"} // -v is --verbose
	app := &ucli.App{
		Name:           "kubectl-netdiag",
		HelpName:       "kubectl netdiag",
		Usage:          "run netdiag on the nodes of a Kubernetes cluster, through the API server alone",
		Description:    "Starts one privileged pod per node, on an image the node already has (never pulled), streams\nthe netdiag binary into it and runs it there. This is root on every selected node: see docs/fleet.md.",
		Version:        Version,
		Reader:         stdin,
		Writer:         stdout,
		ErrWriter:      stderr,
		Flags:          globalFlags(),
		Commands:       commands,
		ExitErrHandler: func(*ucli.Context, error) {},
		OnUsageError: func(_ *ucli.Context, err error, _ bool) error {
			return &exitErr{code: exitUsage, err: err}
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	return app
}
