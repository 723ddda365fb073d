package cli

import (
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// labArgs prefixes a command with the flags that point netdiag at the lab.
func labArgs(l *testlab.Lab, args ...string) []string {
	return append(l.NetdiagArgs(), args...)
}

// oneLine checks stderr is exactly one "netdiag: …" line (plus the usage hint
// for exit 2) containing every want.
func oneLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) == 2 && strings.HasPrefix(lines[1], "Run 'netdiag --help'") {
		lines = lines[:1]
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "netdiag: ") {
		t.Errorf("stderr is not one netdiag: line:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not contain %q", stderr, w)
		}
	}
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
		t.Errorf("stderr shows a panic:\n%s", stderr)
	}
}
