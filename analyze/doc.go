// Package analyze reads captured packets, groups them into flows and names the
// traffic patterns behind the node failures of FAILURE-MODES.md: unanswered or
// refused TCP handshakes, listen-queue overflows, resets, slow or missing DNS
// answers, and path-MTU black holes.
package analyze
