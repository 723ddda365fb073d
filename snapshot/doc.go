// Package snapshot reads a node once: pods, links, routes, sysctls,
// counters sampled twice, conntrack, firewall rules, kube-proxy's services
// with each endpoint's liveness, stale containers, DNS answers, the kernel
// log and drop reasons. doctor, bundle and the fleet mode judge or write
// that one Snapshot; package checks is the judgement.
package snapshot
