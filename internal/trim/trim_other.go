//go:build !linux

package trim

// Pages does nothing outside Linux.
func Pages() {}

// AtStart does nothing outside Linux.
func AtStart() {}
