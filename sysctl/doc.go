// Package sysctl reads and writes the net.* sysctls of a network namespace under /proc/sys.
package sysctl
