// Package dropmon counts the packets the kernel drops, by drop reason
// (enum skb_drop_reason, Linux 5.17+) and by the kernel function that
// dropped them.
//
// Two kernel interfaces carry drops. The skb:kfree_skb tracepoint, read
// here with perf_event_open(2) and a memory-mapped ring per CPU, gives the
// reason, the caller's address and skb->protocol, but no packet bytes, so
// its drops cannot be attributed to a network namespace or a pod. The NET_DM
// generic netlink family (the drop monitor, CONFIG_NET_DROP_MONITOR) in
// packet mode also gives the first bytes of each packet, hence addresses
// and ports; it is preferred when the kernel has it and nobody else holds
// it. Neither needs eBPF or cgo.
//
// Reading the tracepoint changes no tracing state: perf events belong to
// their file descriptors and vanish with the process, however it ends. The
// tracepoint's id and layout are read from tracefs; when tracefs is not
// mounted it is mounted read-only in a private mount namespace on one
// thread, which the runtime discards afterwards. The drop monitor's
// settings are global; they are saved before and restored after use, and a
// record in /run/netdiag lets the next run undo what a killed run left.
package dropmon
