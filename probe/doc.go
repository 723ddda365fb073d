// Package probe runs active tests from inside a network namespace: DNS queries, TCP connects and UDP probes.
package probe
