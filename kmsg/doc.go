// Package kmsg reads the kernel log ring buffer (/dev/kmsg) without blocking
// and counts the lines that name network failures.
package kmsg
