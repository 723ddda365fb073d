package analyze

import (
	"fmt"
	"net/netip"
)

// unreachKind names an ICMP or ICMPv6 destination-unreachable code the way the
// guides talk about it.
func unreachKind(proto, typ, code uint8) string {
	if proto == protoICMP {
		if typ != 3 {
			return ""
		}
		switch code {
		case 0, 6, 11:
			return "network unreachable (no route)"
		case 1, 7, 12:
			return "host unreachable (no route)"
		case 2:
			return "protocol unreachable"
		case 3:
			return "port unreachable"
		case 4:
			return "fragmentation needed"
		case 9, 10, 13:
			return "administratively prohibited"
		}
		return fmt.Sprintf("unreachable code %d", code)
	}
	if typ != 1 {
		return ""
	}
	switch code {
	case 0:
		return "network unreachable (no route)"
	case 1, 5, 6:
		return "administratively prohibited"
	case 3:
		return "host unreachable (no route)"
	case 4:
		return "port unreachable"
	}
	return fmt.Sprintf("unreachable code %d", code)
}

func (a *Analyzer) addICMP(p *packet) {
	if p.icmpMTU != 0 && p.hasInner {
		a.pmtu(p)
		return
	}
	kind := unreachKind(p.proto, p.icmpType, p.icmpCode)
	if kind == "" || !p.hasInner {
		return
	}
	in := &p.inner
	switch in.proto {
	case protoTCP:
		a.tcp.icmp(p, kind)
	case protoUDP:
		a.udpUnreach(p, kind)
	}
}

// pmtu reports ICMP fragmentation-needed / packet-too-big, one finding per
// router, MTU and flow.
func (a *Analyzer) pmtu(p *packet) {
	in := &p.inner
	flow := fmt.Sprintf("%s %s > %s", protoName(in.proto), netip.AddrPortFrom(in.src, in.sport), netip.AddrPortFrom(in.dst, in.dport))
	for i := range a.icmp {
		f := &a.icmp[i]
		if f.Pattern == "pmtu-frag-needed" && f.Flow == flow && f.Evidence["mtu"] == p.icmpMTU && f.Evidence["from"] == p.src.String() {
			f.Packets = addPkt(f.Packets, p.num)
			f.Evidence["count"] = f.Evidence["count"].(int) + 1
			return
		}
	}
	what := "fragmentation needed"
	if p.proto == protoICMPv6 {
		what = "packet too big"
	}
	a.icmp = append(a.icmp, Finding{
		Pattern:  "pmtu-frag-needed",
		Severity: SevWarn,
		Summary:  fmt.Sprintf("%s sent ICMP %s (MTU %d) for %s: packets larger than %d bytes do not fit the path", p.src, what, p.icmpMTU, flow, p.icmpMTU),
		Flow:     flow,
		Packets:  []int{p.num},
		Evidence: map[string]any{"from": p.src.String(), "mtu": p.icmpMTU, "count": 1},
	})
}

// udpUnreach reports ICMP errors for UDP, one finding per destination and kind.
func (a *Analyzer) udpUnreach(p *packet, kind string) {
	in := &p.inner
	dst := netip.AddrPortFrom(in.dst, in.dport).String()
	for i := range a.icmp {
		f := &a.icmp[i]
		if f.Pattern == "udp-unreachable" && f.Evidence["destination"] == dst && f.Evidence["kind"] == kind {
			f.Packets = addPkt(f.Packets, p.num)
			f.Evidence["count"] = f.Evidence["count"].(int) + 1
			f.Summary = fmt.Sprintf("%d UDP datagrams to %s answered with ICMP %s", f.Evidence["count"], dst, kind)
			return
		}
	}
	a.icmp = append(a.icmp, Finding{
		Pattern:  "udp-unreachable",
		Severity: SevWarn,
		Summary:  fmt.Sprintf("1 UDP datagram to %s answered with ICMP %s", dst, kind),
		Flow:     fmt.Sprintf("udp %s > %s", netip.AddrPortFrom(in.src, in.sport), dst),
		Packets:  []int{p.num},
		Evidence: map[string]any{"destination": dst, "kind": kind, "from": p.src.String(), "count": 1},
	})
}
