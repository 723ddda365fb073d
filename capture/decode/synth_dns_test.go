package decode

import (
	"net"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// DNS beyond the basics: DNSSEC records, EDNS options, mDNS bits, updates
// and damaged messages, compared with tcpdump like every synthesized file.
func init() { synthFamilies = append(synthFamilies, dnsCaptures()) }

func dnsCaptures() []synthCapture {
	msg := func(f func(m *dns.Msg)) []byte {
		m := new(dns.Msg)
		f(m)
		return dnsMsg(nil, m)
	}
	reply := func(id uint16, q string, qt uint16, rrs ...string) []byte {
		return msg(func(m *dns.Msg) {
			m.Id, m.Response, m.RecursionDesired, m.RecursionAvailable = id, true, true, true
			m.Question = []dns.Question{{Name: q, Qtype: qt, Qclass: dns.ClassINET}}
			for _, s := range rrs {
				m.Answer = append(m.Answer, rr(s))
			}
		})
	}
	edns := func(id uint16, do bool, opts ...dns.EDNS0) []byte {
		return msg(func(m *dns.Msg) {
			m.SetQuestion("opt.example.", dns.TypeA)
			m.Id = id
			m.SetEdns0(4096, do)
			o := m.IsEdns0()
			o.Option = append(o.Option, opts...)
		})
	}
	u := func(sport, dport int, b []byte) []byte { return udp4(ipA, ipB, sport, dport, b) }
	pkts := [][]byte{
		u(53, 41000, reply(1, "example.", dns.TypeDNSKEY,
			"example. 300 IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
			"example. 300 IN RRSIG DNSKEY 13 1 300 20240301000000 20240201000000 12345 example. c2lnbmF0dXJlIGJ5dGVzIGhlcmU=")),
		u(53, 41001, reply(2, "example.", dns.TypeDS, "example. 300 IN DS 12345 13 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE")),
		u(53, 41002, reply(3, "a.example.", dns.TypeNSEC, "a.example. 300 IN NSEC b.example. A AAAA RRSIG NSEC")),
		u(53, 41003, reply(4, "example.", dns.TypeNSEC3PARAM, "example. 0 IN NSEC3PARAM 1 0 0 -",
			"2vptu5timamqttgl4luu9kg21e0aor3s.example. 300 IN NSEC3 1 1 0 AABB 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3T A RRSIG")),
		u(53, 41004, reply(5, "example.", dns.TypeCAA, "example. 300 IN CAA 0 issue \"ca.example\"",
			"example. 300 IN SSHFP 4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789",
			"_443._tcp.example. 300 IN TLSA 3 1 1 0D6FCE3A5C1F6C4E7D3A6C1F6C4E7D3A6C1F6C4E7D3A6C1F6C4E7D3A6C1F6C4E",
			"example. 300 IN HINFO \"cpu\" \"os\"",
			"example. 300 IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.",
			"example. 300 IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m")),
		u(53, 41005, reply(6, "example.", dns.TypeHTTPS, "example. 300 IN HTTPS 1 . alpn=h2,h3",
			"example. 300 IN SVCB 0 svc.example.")),
		u(41006, 53, edns(7, true, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.IPv4(198, 18, 5, 0)})),
		u(41007, 53, edns(8, false, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})),
		u(41008, 53, edns(9, false, &dns.EDNS0_PADDING{Padding: make([]byte, 12)}, &dns.EDNS0_EXPIRE{Code: dns.EDNS0EXPIRE}, &dns.EDNS0_TCP_KEEPALIVE{Code: dns.EDNS0TCPKEEPALIVE, Timeout: 100})),
		u(53, 41009, msg(func(m *dns.Msg) {
			m.SetQuestion("bad.example.", dns.TypeA)
			m.Id, m.Response, m.Rcode = 10, true, dns.RcodeServerFailure
			m.SetEdns0(1232, false)
			o := m.IsEdns0()
			o.Option = append(o.Option, &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeDNSBogus, ExtraText: "bogus"}, &dns.EDNS0_LOCAL{Code: 65001, Data: []byte{1, 2, 3}})
		})),
		u(41010, 53, edns(11, false, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 2, SourceNetmask: 56, Address: net.ParseIP("2001:db8:1:2::")})),
		// Every option tcpdump decodes, and each one's invalid forms.
		u(41016, 53, edns(17, false,
			&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708a1a2a3a4a5a6a7a8"},
			&dns.EDNS0_LOCAL{Code: 10, Data: []byte{1, 2, 3, 4, 5}},
			&dns.EDNS0_LOCAL{Code: 11, Data: []byte{1, 2, 3}},
			&dns.EDNS0_LOCAL{Code: 9, Data: []byte{0, 0, 1}},
			&dns.EDNS0_LOCAL{Code: 9, Data: []byte{0, 1, 0x51, 0x80}},
			&dns.EDNS0_LOCAL{Code: 11},
			&dns.EDNS0_LOCAL{Code: 14, Data: []byte{0x4f, 0x66, 0, 7}},
			&dns.EDNS0_LOCAL{Code: 14, Data: []byte{1, 2, 3}})),
		u(41017, 53, edns(18, false,
			&dns.EDNS0_DAU{Code: dns.EDNS0DAU, AlgCode: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 99, 252, 253, 254, 255}},
			&dns.EDNS0_DHU{Code: dns.EDNS0DHU, AlgCode: []uint8{1, 2, 4, 9}},
			&dns.EDNS0_N3U{Code: dns.EDNS0N3U, AlgCode: []uint8{1, 2}},
			&dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: "6e73312d6b38732d646e73"},
			&dns.EDNS0_LOCAL{Code: 1, Data: []byte{0, 1, 0, 1}},
			&dns.EDNS0_LOCAL{Code: 16, Data: []byte{0, 7}})),
		u(41018, 53, edns(19, false,
			&dns.EDNS0_LOCAL{Code: 8, Data: []byte{0, 3, 8, 0, 1}},
			&dns.EDNS0_LOCAL{Code: 8, Data: []byte{0, 1, 33, 0, 1, 2, 3, 4, 5}},
			&dns.EDNS0_LOCAL{Code: 8, Data: []byte{0, 1, 16, 0, 198}},
			&dns.EDNS0_LOCAL{Code: 8, Data: []byte{0, 1, 0}},
			&dns.EDNS0_LOCAL{Code: 8, Data: []byte{0, 1, 24, 24, 198, 18, 7}})),
		// DNS UPDATE: zone, prerequisite and update sections.
		u(41011, 53, msg(func(m *dns.Msg) {
			m.SetUpdate("example.")
			m.Id = 12
			m.Insert([]dns.RR{rr("host.example. 300 IN A 198.18.0.9")})
			m.RemoveRRset([]dns.RR{rr("old.example. 0 IN A 0.0.0.0")})
		})),
		// mDNS: a QU question, and an answer with the cache-flush bit.
		udp4(ipA, netip.MustParseAddr("224.0.0.251"), 5353, 5353, msg(func(m *dns.Msg) {
			m.Question = []dns.Question{{Name: "_http._tcp.local.", Qtype: dns.TypePTR, Qclass: dns.ClassINET | 0x8000}}
		})),
		udp4(ipA, netip.MustParseAddr("224.0.0.251"), 5353, 5353, msg(func(m *dns.Msg) {
			m.Response, m.Authoritative = true, true
			a := rr("printer.local. 120 IN A 198.18.0.50")
			a.Header().Class |= 0x8000
			m.Answer = []dns.RR{a, rr("_http._tcp.local. 4500 IN PTR printer._http._tcp.local.")}
			m.Extra = []dns.RR{rr("printer._http._tcp.local. 120 IN SRV 0 0 80 printer.local."), rr("printer._http._tcp.local. 120 IN TXT \"path=/\"")}
		})),
		// TSIG (its fields at -v), A6 with each prefix form, UNSPECA.
		u(53, 41019, msg(func(m *dns.Msg) {
			m.SetQuestion("signed.example.", dns.TypeA)
			m.Id, m.Response = 20, true
			m.Answer = []dns.RR{rr("signed.example. 60 IN A 198.18.0.20")}
			m.Extra = []dns.RR{&dns.TSIG{Hdr: dns.RR_Header{Name: "key.example.", Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
				Algorithm: "hmac-sha256.", TimeSigned: 1700000000, Fudge: 300, MACSize: 32,
				MAC: "0102030405060708091011121314151617181920212223242526272829303132", OrigId: 20, Error: 18, OtherLen: 0}}
		})),
		u(53, 41020, msg(func(m *dns.Msg) {
			m.SetQuestion("a6.example.", 38)
			m.Id, m.Response = 21, true
			raw := func(name string, typ uint16, hex string) dns.RR {
				return &dns.RFC3597{Hdr: dns.RR_Header{Name: name, Rrtype: typ, Class: dns.ClassINET, Ttl: 60}, Rdata: hex}
			}
			m.Answer = []dns.RR{
				raw("a6.example.", 38, "0020010db8000000000000000000000001"),
				raw("a6.example.", 38, "40000000000000000106707265666978076578616d706c6500"),
				raw("a6.example.", 38, "81"),
				raw("a6.example.", 38, "8006707265666978076578616d706c6500"),
				raw("u.example.", 104, "68656c6c6f"),
				raw("uri.example.", 256, "000a000168747470733a2f2f6578616d706c652f"),
				raw("uri.example.", 256, "0001000200"),
				raw("uri.example.", 256, "0003"),
			}
		})),
		// Damaged: a compression pointer loop, a pointer past the end, an
		// extended label type, counts larger than the message.
		u(53, 41012, []byte{0, 13, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1}),
		u(53, 41013, []byte{0, 14, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0, 1, 0, 1}),
		u(53, 41014, []byte{0, 15, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 3, 'a', 'b', 'c', 0, 0, 1, 0, 1}),
		u(53, 41015, []byte{0, 16, 0x81, 0x80, 0, 9, 0, 9, 0, 9, 0, 9, 1, 'x', 0, 0, 1, 0, 1}),
	}
	// DNSSL in a router advertisement (RFC 8106): names run to the option's
	// end; one option holds none.
	names := cat([]byte{7}, []byte("example"), []byte{0, 3}, []byte("svc"), []byte{7}, []byte("cluster"), []byte{5}, []byte("local"), []byte{0})
	for len(names)%8 != 0 {
		names = append(names, 0)
	}
	dnssl := func(body []byte) []byte {
		return cat([]byte{31, byte((8 + len(body)) / 8), 0, 0}, be32(600), body)
	}
	ra := cat([]byte{64, 0xc0}, be16(1800), be32(0), be32(0), dnssl(names), dnssl(nil))
	pkts = append(pkts, icmp6Pkt(ip6A, netip.MustParseAddr("ff02::1"), 134, 0, ra))
	return withSnaps(synthCapture{name: "dns-ext", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 60, 80, 100, 140)
}
