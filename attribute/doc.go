// Package attribute names the pod, container and process behind captured
// flows from the kernel's socket tables (sock_diag in each pod's netns, the
// fd links of /proc and the cgroups of the processes): no eBPF. A flow whose
// socket is gone is "owner unknown", never guessed.
package attribute
