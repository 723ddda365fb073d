// Package testlab holds test helpers shared by netdiag's packages: privilege and
// tool checks that fail instead of skipping in CI, and throwaway network
// namespaces, veths and bridges that clean up after themselves.
package testlab
