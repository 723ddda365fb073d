package decode

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// TestICMPShortBody: an ICMP message of an unknown type with a 2- or 3-byte
// body crashed -v (issue 18: index out of range in the checksum line; any
// pod can send one). tcpdump 4.99 prints the type, then " [|icmp]" where it
// reads the checksum field. The lines were taken from tcpdump -nn -v -t.
func TestICMPShortBody(t *testing.T) {
	v := with(nn, func(o *Options) { o.Verbose = 1; o.TimeFormat = TimeNone })
	for _, tt := range []struct {
		body []byte
		opts Options
		want string
	}{
		{[]byte{0x31, 0x80}, v, "IP (tos 0x0, ttl 64, id 99, offset 0, flags [none], proto ICMP (1), length 22)\n" +
			"    198.18.0.1 > 198.18.0.2: ICMP type-#49, length 2 [|icmp]"},
		{[]byte{0x31, 0x80, 0}, v, "IP (tos 0x0, ttl 64, id 99, offset 0, flags [none], proto ICMP (1), length 23)\n" +
			"    198.18.0.1 > 198.18.0.2: ICMP type-#49, length 3 [|icmp]"},
		{[]byte{0x31}, v, "IP (tos 0x0, ttl 64, id 99, offset 0, flags [none], proto ICMP (1), length 21)\n" +
			"    198.18.0.1 > 198.18.0.2:  [|icmp]"},
		{[]byte{0x31, 0x80}, with(nn, func(o *Options) { o.TimeFormat = TimeNone }), "IP 198.18.0.1 > 198.18.0.2: ICMP type-#49, length 2"},
	} {
		var out bytes.Buffer
		p := NewPrinter(&out, pcapio.LinkTypeRaw, tt.opts)
		pkt := ipv4(ipA, ipB, 1, tt.body, ip4opt{id: 99})
		if err := p.Print(pcapio.Packet{Timestamp: time.Unix(1, 0), Data: pkt, OrigLen: len(pkt)}); err != nil {
			t.Fatalf("body % x: %v", tt.body, err)
		}
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(out.String(), "\n"); got != tt.want {
			t.Errorf("body % x:\n got %q\nwant %q", tt.body, got, tt.want)
		}
	}
}

// TestDecodeErrorKeepsPrinting: a runtime error inside a printer (a bug;
// here injected through the SLL2 interface-name hook) ends that packet's
// line as a truncation and Print reports a *DecodeError; the next packet
// prints normally. A live capture must not die of one packet.
func TestDecodeErrorKeepsPrinting(t *testing.T) {
	calls := 0
	o := with(nn, func(o *Options) { o.TimeFormat = TimeNone })
	o.IfName = func(i int) (string, bool) {
		calls++
		if calls == 1 {
			var names []string
			return names[i], true
		}
		return "eth0", true
	}
	var out bytes.Buffer
	p := NewPrinter(&out, pcapio.LinkTypeLinuxSLL2, o)
	ip := ipv4(ipA, ipB, 1, icmpMsg(8, 0, cat(be16(1), be16(2)), nil), ip4opt{id: 99})
	pkt := cat(be16(0x0800), be16(0), be32(2), be16(1), []byte{0, 6}, macA, []byte{0, 0}, ip)
	err := p.Print(pcapio.Packet{Timestamp: time.Unix(1, 0), Data: pkt, OrigLen: len(pkt)})
	var de *DecodeError
	if !errors.As(err, &de) || de.Proto != "sll2" || !strings.Contains(de.Where, "_test.go") {
		t.Fatalf("Print: %v, want a *DecodeError in sll2 that names the test file", err)
	}
	if err := p.Print(pcapio.Packet{Timestamp: time.Unix(1, 0), Data: pkt, OrigLen: len(pkt)}); err != nil {
		t.Fatalf("next packet: %v", err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	want := " [|sll2]\neth0  In  IP 198.18.0.1 > 198.18.0.2: ICMP echo request, id 1, seq 2, length 8\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}
