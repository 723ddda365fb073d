// Package checks is netdiag's doctor: one check per failure mode of
// FAILURE-MODES.md, each reading the same Snapshot of the node and returning
// findings with evidence and a fix.
package checks
