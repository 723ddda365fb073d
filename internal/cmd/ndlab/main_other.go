//go:build !linux

package main

import (
	"fmt"
	"os"
	"runtime"
)

// main says why not: ndlab is a lab helper that uses Linux network namespaces.
func main() {
	fmt.Fprintf(os.Stderr, "ndlab: not implemented on %s: it runs on Linux only\n", runtime.GOOS)
	os.Exit(1)
}
