//go:build !linux

package nftables

import "io"

// WriteText lives with the Linux decoder (parse_linux.go); on this GOOS
// there is no ruleset read to write.

// WriteText is not implemented on this GOOS.
func (r *Ruleset) WriteText(w io.Writer) error { return errNotSupported() }
