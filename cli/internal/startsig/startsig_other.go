//go:build !linux

package startsig

import "os"

// Claim returns nil on this GOOS: no signal was caught.
func Claim() chan os.Signal { return nil }

// Release does nothing on this GOOS.
func Release() {}
