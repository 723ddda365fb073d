package kmsg

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// netWords mark kernel log lines about networking. Lines from the audit and
// LSM subsystems are never kept: they carry process names and arguments.
var netWords = []string{
	"nf_conntrack", "netfilter", "nf_tables", "x_tables", "xt_", "ip_tables", "ip6_tables", "iptables",
	"IPVS", "bridge", "veth", "vxlan", "geneve", "flannel", "cni0", "cbr0", "docker0", "cilium",
	"tunl0", "wireguard", "NETDEV WATCHDOG", "Link is", "link becomes ready", "link is not ready",
	"entered blocking state", "entered forwarding state", "entered disabled state", "entered promiscuous",
	"left promiscuous", "renamed from", "TCP:", "UDP:", "IPv4:", "IPv6:", "ICMP", "neighbour", "neighbor",
	"martian", "SYN flooding", "unregister_netdevice", "IN=",
}

// netIfaceName matches interface names in messages ("eth0: link up").
var netIfaceName = regexp.MustCompile(`\b((eth|ens|enp|eno|bond|wlan|tap|tun)[0-9]|(cali|lxc)[0-9a-f]{6})`)

// networkLine reports whether a kernel log message is about networking.
func networkLine(msg string) bool {
	if strings.HasPrefix(msg, "audit") || strings.Contains(msg, "apparmor=") || strings.Contains(msg, "avc:") {
		return false
	}
	if Classify(msg) != "" {
		return true
	}
	for _, w := range netWords {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return netIfaceName.MatchString(msg)
}

// maxKernelLine bounds one kept line.
const maxKernelLine = 512

// NetworkLines reads kernel log records from r, one per Read as /dev/kmsg
// gives them, and keeps the last keep network-related ones, formatted like
// dmesg: "[SECONDS.MICROS] MESSAGE". It stops at the end of the buffer
// (EOF or EAGAIN) and reports how many network lines it saw in all.
func NetworkLines(r io.Reader, keep int) (lines []string, seen int, err error) {
	if keep <= 0 {
		return nil, 0, nil
	}
	ring := make([]string, 0, keep)
	next := 0
	err = Each(r, func(rec Record) {
		if !networkLine(rec.Message) {
			return
		}
		msg := rec.Message
		if len(msg) > maxKernelLine {
			msg = msg[:maxKernelLine] + "…"
		}
		msg = strings.Map(func(r rune) rune {
			if r < ' ' && r != '\t' {
				return ' '
			}
			return r
		}, msg)
		us := rec.Since / time.Microsecond
		line := fmt.Sprintf("[%5d.%06d] %s", us/1e6, us%1e6, msg)
		seen++
		if len(ring) < keep {
			ring = append(ring, line)
		} else {
			ring[next] = line
			next = (next + 1) % keep
		}
	})
	return append(ring[next:], ring[:next]...), seen, err
}
