//go:build !linux

package cli

import "os"

// isTTY is false on this GOOS: commands that ask before changing the node
// need --yes, and output is never treated as a terminal.
func isTTY(f *os.File) bool { return false }
