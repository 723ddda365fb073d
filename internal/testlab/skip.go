package testlab

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// InCI reports whether the tests run under CI, where root and every tool are
// present and a skip would hide a bug.
func InCI() bool { return os.Getenv("CI") == "true" }

// skip skips the test, or fails it in CI.
func skip(tb testing.TB, reason string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("CI=true but %s", reason)
	}
	tb.Skip(reason)
}

// RequireRoot skips tests that need root when not root; in CI it fails instead.
// Outside Linux it always skips: root tests use network namespaces.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skip("test needs Linux network namespaces, not " + runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		skip(tb, "test needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
}

// RequireTool skips when a program is not on PATH; in CI it fails instead.
func RequireTool(tb testing.TB, names ...string) {
	tb.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			skip(tb, "test needs "+n+" on PATH (.ci/run installs it)")
		}
	}
}
