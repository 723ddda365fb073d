// Package bundle collects everything netdiag can read about a node into one tar.gz for a support case.
package bundle
