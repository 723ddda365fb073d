package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"syscall"

	ucli "github.com/urfave/cli/v2"
)

// Exit codes, as DESIGN.md defines them.
const (
	ExitOK       = 0
	ExitError    = 1
	ExitUsage    = 2
	ExitProblems = 3
)

// Version is set at link time by the Makefile.
var Version = "dev"

var commands []*ucli.Command

// register adds a command to the app; each command file calls it from init.
func register(c *ucli.Command) { commands = append(commands, c) }

// exitError carries an exit code through urfave/cli without its own handling.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports bad command-line input (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// problemsFound makes the command exit 3 after printing its result.
func problemsFound() error { return &exitError{code: ExitProblems} }

// env is what a command may use for I/O; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// envOf returns the writers of the running app.
func envOf(c *ucli.Context) env {
	e := env{stdin: os.Stdin, stdout: c.App.Writer, stderr: c.App.ErrWriter}
	if r, ok := c.App.Metadata["stdin"].(io.Reader); ok {
		e.stdin = r
	}
	return e
}

// NewApp builds the netdiag command line.
func NewApp(stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	cmds := make([]*ucli.Command, len(commands))
	for i, c := range commands {
		cmds[i] = copyCommand(c)
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	app := &ucli.App{
		Name:                 "netdiag",
		Usage:                "diagnose Kubernetes node networking from one static binary",
		Version:              Version,
		HideVersion:          true,
		Writer:               stdout,
		ErrWriter:            stderr,
		Reader:               stdin,
		Metadata:             map[string]any{"stdin": stdin},
		Flags:                globalFlags(),
		Commands:             cmds,
		EnableBashCompletion: true,
		ExitErrHandler:       func(*ucli.Context, error) {},
		CommandNotFound: func(c *ucli.Context, name string) {
			c.App.Metadata["notFound"] = name
		},
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			return &exitError{code: ExitUsage, err: err}
		},
		Before: func(c *ucli.Context) error {
			if err := checkPlatform(c); err != nil {
				return err
			}
			if _, err := outputFormat(c); err != nil {
				return err
			}
			return checkGlobals(c)
		},
	}
	for _, cmd := range cmds {
		setUsageHandler(cmd)
	}
	return app
}

// copyCommand copies a registered command and its flags, so that one app's
// run (urfave/cli records what it parsed in the flag structs) or a test that
// swaps an Action leaves the next app untouched.
func copyCommand(c *ucli.Command) *ucli.Command {
	cp := *c
	cp.Flags = make([]ucli.Flag, len(c.Flags))
	for i, f := range c.Flags {
		v := reflect.ValueOf(f)
		if v.Kind() != reflect.Pointer {
			cp.Flags[i] = f
			continue
		}
		n := reflect.New(v.Elem().Type())
		n.Elem().Set(v.Elem())
		cp.Flags[i] = n.Interface().(ucli.Flag)
	}
	cp.Subcommands = make([]*ucli.Command, len(c.Subcommands))
	for i, s := range c.Subcommands {
		cp.Subcommands[i] = copyCommand(s)
	}
	return &cp
}

func setUsageHandler(cmd *ucli.Command) {
	cmd.OnUsageError = func(c *ucli.Context, err error, _ bool) error {
		return &exitError{code: ExitUsage, err: err}
	}
	for _, sub := range cmd.Subcommands {
		setUsageHandler(sub)
	}
}

// Main runs the app and turns its error into one line on stderr and an exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := NewApp(stdin, stdout, stderr)
	err := app.Run(hoistGlobals(app, args))
	if name, ok := app.Metadata["notFound"].(string); ok && err == nil {
		err = usageErrorf("no command %q", name)
	}
	if err == nil {
		return ExitOK
	}
	code := ExitError
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg := errorLine(err); msg != "" {
		fmt.Fprintf(stderr, "netdiag: %s\n", msg)
	}
	if code == ExitUsage && !strings.Contains(err.Error(), "--help") {
		fmt.Fprintln(stderr, "Run 'netdiag --help' for usage.")
	}
	return code
}

// errorLine makes one line of an error and turns missing privileges into advice.
func errorLine(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		if !strings.Contains(msg, "CAP_") && !strings.Contains(msg, "run as root") {
			msg += ": needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_NET_RAW, CAP_SYS_PTRACE): run as root"
		}
	}
	return msg
}
