package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// errDeclined means the user answered no: nothing changed, exit 1.
var errDeclined = errors.New("declined")

// needsTTYOrYes is called before a command that changes the node does any
// work: without --yes it asks, and only a terminal may answer. A "y" piped
// in by a script would approve a change nobody read, so without a terminal
// on stdin the change needs --yes (a usage error, exit 2).
func needsTTYOrYes(c *ucli.Context, command string) error {
	if c.Bool("yes") || stdinIsTerminal(c) {
		return nil
	}
	return usageErrorf("%s asks before it changes anything, and stdin is not a terminal: give --yes to go ahead without asking", command)
}

// stdinIsTerminal reports whether the app's stdin is a terminal.
func stdinIsTerminal(c *ucli.Context) bool {
	f, ok := envOf(c).stdin.(*os.File)
	return ok && isTTY(f)
}

// confirm asks question on stderr and reads the answer from stdin: y or
// yes goes on; anything else, or the end of input, returns an error that
// wraps errDeclined and says what was not done (unchanged).
func confirm(c *ucli.Context, question, unchanged string) error {
	e := envOf(c)
	fmt.Fprintf(e.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if !strings.HasSuffix(line, "\n") {
		fmt.Fprintln(e.stderr)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read confirmation: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("%w: %s", errDeclined, unchanged)
}
