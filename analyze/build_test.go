package analyze

import (
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/miekg/dns"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// trace builds a synthetic capture, one packet at a time, on an Ethernet link.
type trace struct {
	t    testing.TB
	now  time.Time
	pkts []pcapio.Packet
}

func newTrace(t testing.TB) *trace {
	return &trace{t: t, now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
}

func (tr *trace) after(d time.Duration) *trace { tr.now = tr.now.Add(d); return tr }

func (tr *trace) emit(ls ...gopacket.SerializableLayer) {
	tr.t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	if err := gopacket.SerializeLayers(buf, opts, append([]gopacket.SerializableLayer{eth}, ls...)...); err != nil {
		tr.t.Fatal(err)
	}
	data := append([]byte(nil), buf.Bytes()...)
	tr.pkts = append(tr.pkts, pcapio.Packet{Timestamp: tr.now, Data: data, CaptureLen: len(data), OrigLen: len(data)})
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

type tcpOpt func(*layers.TCP)

func (tr *trace) tcp(src string, sport uint16, dst string, dport uint16, flags string, seq, ack uint32, payload int) {
	tr.t.Helper()
	ip := ip4(src, dst, layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: 64240}
	for _, f := range flags {
		switch f {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'R':
			tcp.RST = true
		case 'F':
			tcp.FIN = true
		case 'P':
			tcp.PSH = true
		}
	}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	tr.emit(ip, tcp, gopacket.Payload(make([]byte, payload)))
}

func (tr *trace) icmpErr(router, src string, typ, code uint8, mtu uint16, inner []byte) {
	tr.t.Helper()
	ip := ip4(router, src, layers.IPProtocolICMPv4)
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}
	icmp.Seq = mtu // for frag-needed the MTU sits where the sequence number is
	tr.emit(ip, icmp, gopacket.Payload(inner))
}

// lastIP returns the IP packet of the last emitted frame, as ICMP quotes it.
func (tr *trace) lastIP() []byte {
	d := tr.pkts[len(tr.pkts)-1].Data[14:]
	if len(d) > 28+20 {
		d = d[:48]
	}
	return append([]byte(nil), d...)
}

func (tr *trace) dns(src string, sport uint16, dst string, dport uint16, m *dns.Msg) {
	tr.t.Helper()
	b, err := m.Pack()
	if err != nil {
		tr.t.Fatal(err)
	}
	ip := ip4(src, dst, layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	_ = udp.SetNetworkLayerForChecksum(ip)
	tr.emit(ip, udp, gopacket.Payload(b))
}

func query(id uint16, name string, t uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, t)
	m.Id = id
	return m
}

func answer(q *dns.Msg, rcode int, ips ...string) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(q, rcode)
	for _, ip := range ips {
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.ParseIP(ip)})
	}
	return m
}

func (tr *trace) analyze() *Report {
	a := New(Options{})
	for _, p := range tr.pkts {
		a.Add(pcapio.LinkTypeEthernet, p)
	}
	return a.Report()
}
