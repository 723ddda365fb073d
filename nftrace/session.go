package nftrace

import "fmt"

// TableName names the table of the process pid ("inet netdiag-trace-PID").
func TableName(pid int) string { return fmt.Sprintf("netdiag-trace-%d", pid) }

// Priority of the marking chains: before iptables' raw table (-300) and
// conntrack (-200), so every other chain of the netns sees marked packets.
const Priority = -400
