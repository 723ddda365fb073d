// Package fleet runs netdiag on many Kubernetes nodes through the API
// server alone: one short-lived privileged "carrier" pod per node, on an
// image already on that node (never pulled), into which the node binary is
// streamed over exec and run by `netdiag agent`, whose framed output
// (fleet/frame) comes back over the same exec. It is the library behind
// kubectl-netdiag; it never prints.
package fleet
