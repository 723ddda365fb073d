//go:build !linux

package node

// KernelRelease is "" on this GOOS: there is no Linux kernel to name.
func KernelRelease() string { return "" }
