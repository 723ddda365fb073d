//go:build !linux

package rtnl

import "io"

// The writers live with the Linux reader (ip_linux.go); on this GOOS there
// is nothing read to write.

// WriteLinks is not implemented on this GOOS.
func WriteLinks(w io.Writer, links []Link) error { return errNotSupported() }

// WriteAddrs is not implemented on this GOOS.
func WriteAddrs(w io.Writer, links []Link) error { return errNotSupported() }

// WriteRoutes is not implemented on this GOOS.
func WriteRoutes(w io.Writer, routes []Route) error { return errNotSupported() }

// WriteNeighbors is not implemented on this GOOS.
func WriteNeighbors(w io.Writer, neighbors []Neigh) error { return errNotSupported() }
