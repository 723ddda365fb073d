package decode

import (
	"github.com/netdiag/netdiag/capture/pcapio"
)

// Telnet negotiation on port 23: commands, options, sub-negotiations
// (generic, AUTHENTICATION, ENCRYPT), and the ways they end early.

func init() { synthFamilies = append(synthFamilies, telnetCaptures()) }

func telnetCaptures() []synthCapture {
	seg := func(sport, dport int, data ...byte) []byte {
		return tcp4(ipA, ipB, tcpSeg{sport: sport, dport: dport, seq: 100, ack: 200, flags: thACK | thPSH, data: data})
	}
	const iac, sb, se = 255, 250, 240
	payloads := [][]byte{
		{iac, 253, 1, iac, 251, 31, iac, 251, 24}, // DO ECHO, WILL NAWS, WILL TERMINAL TYPE
		{iac, sb, 31, 0, 80, 0, 24, iac, se},      // NAWS 80x24
		{iac, sb, 24, 1, iac, se},                 // TERMINAL TYPE SEND
		cat([]byte{iac, sb, 24, 0}, []byte("xterm"), []byte{iac, se, 'l', 's'}),
		{iac, sb, 37, 1, 2, 3, iac, se, iac, sb, 37, 2, 8, iac, se, iac, sb, 37, 9, 40, iac, se},
		{iac, sb, 38, 0, 1, iac, se, iac, sb, 38, 5, 5, 7, iac, se, iac, sb, 38, 12, iac, se},
		{iac, sb, 39, iac, se, iac, sb, 45, 9, 0, iac, se},
		{iac, iac, iac, 241, iac, 244, iac, 236, iac, 249, iac, 242},
		{iac, 200, 1, 2},                 // not a command
		{iac, sb, 31, 0, 80, 0, 24},      // sub-negotiation never ends
		{iac, 253},                       // option missing
		{iac},                            // command missing
		{'h', 'i', iac, 253, 1},          // data first: nothing printed
		{iac, 254, 99, iac, 252, 3, 'x'}, // option numbers past the table
	}
	var pkts [][]byte
	for _, b := range payloads {
		pkts = append(pkts, seg(40300, 23, b...), seg(23, 40300, b...))
	}
	// Telnet comes first in tcpdump's port order.
	pkts = append(pkts, seg(23, 80, iac, 253, 1), seg(179, 23, iac, 251, 3), seg(23, 25, 'a'))
	return withSnaps(synthCapture{name: "telnet", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 55, 56, 58, 60, 62, 66, 70)
}
