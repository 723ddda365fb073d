//go:build !linux

package node

import "os"

// unameNodename is the host name the OS reports.
func unameNodename() (string, bool) {
	h, err := os.Hostname()
	return h, err == nil
}
