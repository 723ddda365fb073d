package decode

import (
	"github.com/netdiag/netdiag/capture/pcapio"
)

// UDP segments whose two ports both have a printer: tcpdump's udp_print
// order decides which one prints (Geneve only on the destination port,
// BCM-LI only on the source port).

func init() { synthFamilies = append(synthFamilies, udpOrderCaptures()) }

func udpOrderCaptures() []synthCapture {
	payloads := [][]byte{
		make([]byte, 48),
		cat([]byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}, []byte("\x03www\x07example\x00\x00\x01\x00\x01")),
		repeat(0x21, 40),
		{0x08, 0, 0, 0, 0, 0, 0x2a, 0},
	}
	pairs := [][2]int{{5353, 123}, {123, 5353}, {49152, 53}, {53, 49152}, {6081, 40000}, {40000, 6081},
		{6635, 4789}, {4789, 6635}, {514, 500}, {500, 514}, {4500, 546}, {547, 4500}, {8472, 4789},
		{4790, 6081}, {6635, 4790}, {40000, 3784}, {3784, 53}, {7500, 161}, {69, 68}, {67, 53}, {162, 123}}
	var pkts [][]byte
	for _, pp := range pairs {
		for _, pl := range payloads {
			pkts = append(pkts, eth(0x0800, ipv4(ipA, ipB, 17, udpv(ipA, ipB, pp[0], pp[1], pl), ip4opt{id: 7})))
		}
	}
	return withSnaps(synthCapture{name: "udp-order", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 50, 60, 80)
}
