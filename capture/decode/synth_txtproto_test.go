package decode

import (
	"github.com/netdiag/netdiag/capture/pcapio"
)

// The text protocols tcpdump prints line by line (txtproto_print): FTP,
// SMTP, whois and RTSP beside HTTP, and which printer wins when both ports
// of a segment have one.

func init() { synthFamilies = append(synthFamilies, txtprotoCaptures()) }

func txtprotoCaptures() []synthCapture {
	seg := func(sport, dport int, data string) []byte {
		return tcp4(ipA, ipB, tcpSeg{sport: sport, dport: dport, seq: 100, ack: 200, flags: thACK | thPSH, data: []byte(data)})
	}
	var pkts [][]byte
	for _, port := range []int{21, 25, 43, 554, 8554} {
		pkts = append(pkts,
			seg(40200, port, "USER anonymous\r\n"),
			seg(port, 40200, "220 ready\r\n250-first\r\n250 last\r\n"),
			seg(40200, port, "no line end"),
			seg(40200, port, "tab\there and \x01 control\r\nsecond\n"),
			seg(40200, port, "\r\n"),
			seg(40200, port, "\x00\x01\x02\x03binary"),
			seg(40200, port, "DESCRIBE rtsp://cam/stream RTSP/1.0\r\nCSeq: 2\r\n\r\n"),
			seg(port, 40200, "RTSP/1.0 200 OK\r\nCSeq: 2\r\n\r\n"),
			seg(port, 40200, "RTSP/1.0 2000 OK\r\n"),
			seg(40200, port, "teardown rtsp://cam/stream RTSP/1.0\r\n"),
			seg(40200, port, "continuation of a body\r\n"),
			seg(40200, port, "a very long line "+string(repeat('a', 300))+"\r\n"),
		)
	}
	// Both ports known: tcpdump's order decides.
	for _, pp := range [][2]int{{25, 179}, {43, 22}, {21, 80}, {554, 53}, {8554, 2049}, {21, 6379}, {25, 43}, {80, 554}, {179, 21}} {
		pkts = append(pkts, seg(pp[0], pp[1], "HELO x\r\n"), seg(pp[1], pp[0], "GET / HTTP/1.1\r\n"))
	}
	return withSnaps(synthCapture{name: "txtproto", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 56, 60, 66, 70, 80)
}
