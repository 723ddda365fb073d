package nftrace

import (
	"fmt"
	"net/netip"
	"strings"
)

// Filter selects the packets to trace; a zero field matches anything.
type Filter struct {
	// Addrs: packets from or to any of these (a pod's addresses).
	Addrs    []netip.Addr
	Src, Dst netip.Addr
	// Proto is tcp, udp, icmp, icmp6 or sctp.
	Proto            string
	SrcPort, DstPort uint16
}

var protoNumbers = map[string]byte{"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "icmpv6": 58, "sctp": 132}

// String prints the filter as nft match expressions.
func (f Filter) String() string {
	var parts []string
	if len(f.Addrs) > 0 {
		var as []string
		for _, a := range f.Addrs {
			as = append(as, a.String())
		}
		parts = append(parts, "from or to "+strings.Join(as, ", "))
	}
	if f.Src.IsValid() {
		parts = append(parts, "saddr "+f.Src.String())
	}
	if f.Dst.IsValid() {
		parts = append(parts, "daddr "+f.Dst.String())
	}
	if f.Proto != "" {
		parts = append(parts, "l4proto "+f.Proto)
	}
	if f.SrcPort != 0 {
		parts = append(parts, fmt.Sprintf("sport %d", f.SrcPort))
	}
	if f.DstPort != 0 {
		parts = append(parts, fmt.Sprintf("dport %d", f.DstPort))
	}
	if len(parts) == 0 {
		return "every packet"
	}
	return strings.Join(parts, " ")
}

// Validate checks the filter before anything is changed.
func (f Filter) Validate() error {
	if f.Proto != "" {
		if _, ok := protoNumbers[strings.ToLower(f.Proto)]; !ok {
			return fmt.Errorf("unknown protocol %q: use tcp, udp, icmp, icmp6 or sctp", f.Proto)
		}
	}
	if (f.SrcPort != 0 || f.DstPort != 0) && f.Proto == "" {
		return fmt.Errorf("ports need a protocol: give -p tcp, udp or sctp")
	}
	if f.SrcPort != 0 || f.DstPort != 0 {
		switch strings.ToLower(f.Proto) {
		case "tcp", "udp", "sctp":
		default:
			return fmt.Errorf("ports need -p tcp, udp or sctp, not %s", f.Proto)
		}
	}
	if f.Src.IsValid() && f.Dst.IsValid() && f.Src.Is4() != f.Dst.Is4() {
		return fmt.Errorf("source %s and destination %s are of different IP families", f.Src, f.Dst)
	}
	return nil
}
