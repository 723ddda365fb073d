// Package cli builds netdiag's command line: one file per command, flags, pod
// selectors and rendering. It is the only package that prints.
package cli
