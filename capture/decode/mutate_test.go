package decode

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
)

// mutated returns copies of the synthesized and recorded packets with a few
// bytes changed and cut at random lengths, from a fixed seed: malformed
// headers of every kind, each printed as tcpdump prints it.
func mutated(t testing.TB, seed uint64, perPacket int) map[pcapio.LinkType][][]byte {
	rng := rand.New(rand.NewPCG(seed, 42))
	out := map[pcapio.LinkType][][]byte{}
	add := func(lt pcapio.LinkType, pkt []byte) {
		for k := 0; k < perPacket; k++ {
			b := append([]byte(nil), pkt...)
			for n := rng.IntN(3) + 1; n > 0 && len(b) > 0; n-- {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
			if rng.IntN(3) == 0 && len(b) > 0 {
				b = b[:rng.IntN(len(b))]
			}
			if !foreign(lt, b) {
				out[lt] = append(out[lt], b)
			}
		}
	}
	for _, s := range synthesized {
		if s.snap != 0 {
			continue
		}
		for _, p := range s.pkts {
			add(s.lt, p)
		}
	}
	files, _ := filepath.Glob("testdata/lab-*.pcap")
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapio.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			p, err := r.Next()
			if err != nil {
				break
			}
			add(r.LinkType(), append([]byte(nil), p.Data...))
		}
		f.Close()
	}
	// Each family's captures draw from a stream of their own, so that
	// adding one changes no other packet's damage.
	for _, f := range synthFamilies {
		for _, s := range f {
			if s.snap != 0 {
				continue
			}
			h := fnv.New64a()
			h.Write([]byte(s.name))
			rng = rand.New(rand.NewPCG(seed, h.Sum64()))
			for _, p := range s.pkts {
				add(s.lt, p)
			}
		}
	}
	return out
}

// TestCompareMutated compares damaged packets with tcpdump.
func TestCompareMutated(t *testing.T) {
	testlab.RequireTool(t, "tcpdump")
	dir := t.TempDir()
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8}
	if v := os.Getenv("NETDIAG_MUTATE_SEED"); v != "" {
		var s uint64
		fmt.Sscan(v, &s)
		seeds = []uint64{s}
	}
	all := map[pcapio.LinkType][][]byte{}
	for _, seed := range seeds {
		for lt, pkts := range mutated(t, seed, 3) {
			all[lt] = append(all[lt], pkts...)
		}
	}
	for lt, pkts := range all {
		path := filepath.Join(dir, lt.String()+".pcap")
		writeSynth(t, path, synthCapture{lt: lt, pkts: pkts})
		t.Run(lt.String(), func(t *testing.T) {
			t.Parallel()
			compareFile(t, path)
		})
	}
}

// Protocols tcpdump decodes and netdiag does not (it prints them as the
// undecoded payload of their transport): damaged packets that turn into one
// of these are left out of the comparison.
var (
	// MACsec (0x88e5) stays: an IP payload shorter than its header prints
	// "truncated-ip N" in tcpdump and "[|ip]" here (mutation seed 1).
	foreignEtherTypes = map[uint16]bool{0x6003: true, 0x809b: true, 0x80f3: true, 0x8137: true,
		0xfefe: true, 0x8863: true, 0x8864: true, 0x3c12: true, 0x3c13: true, 0x888e: true,
		0x8899: true, 0x880b: true, 0x8808: true, 0x8902: true, 0xabcd: true,
		0x894f: true, 0x9000: true, 0x88ca: true,
		0x886f: true, 0x0707: true, 0x8947: true, 0x1111: true, 0x88a2: true, 0x88f7: true,
		0x6004: true, 0x6007: true, 0x6002: true, 0x6001: true, 0x893a: true, 0x88e5: true,
		0x8870: true, 0xd28b: true}
	foreignIPProtos = map[uint8]bool{108: true, 132: true, 33: true, 9: true,
		88: true, 8: true, 89: true, 46: true, 47: true, 55: true, 103: true, 112: true,
		113: true}
	foreignUDPPorts = map[uint16]bool{525: true, 520: true, 654: true,
		88:  true,
		750: true, 1701: true, 137: true, 138: true, 2103: true, 2104: true, 521: true,
		5359: true, 6696: true, 6697: true, 8231: true, 496: true, 1645: true,
		1646: true, 1700: true, 1812: true, 1813: true, 3799: true, 921: true, 646: true,
		698: true, 3503: true, 701: true, 1589: true, 6343: true, 12222: true, 5060: true,
		4342: true, 17754: true, 319: true, 320: true,
		30490: true, 3456: true, 4567: true, 1985: true, 12223: true}
	foreignTCPPorts = map[uint16]bool{1723: true,
		139: true, 445: true, 10288: true, 6633: true, 6653: true,
		639: true, 323: true, 646: true}
	foreignICMP6 = map[uint8]bool{155: true}
)

// foreign reports whether a packet of link type lt reaches a protocol that
// tcpdump decodes and netdiag does not.
func foreign(lt pcapio.LinkType, b []byte) bool {
	switch lt {
	case pcapio.LinkTypeEthernet:
		return foreignEther(b)
	case pcapio.LinkTypeLinuxSLL:
		return len(b) >= 16 && foreignType(binary.BigEndian.Uint16(b[14:]), b[16:])
	case pcapio.LinkTypeLinuxSLL2:
		return len(b) >= 20 && foreignType(binary.BigEndian.Uint16(b), b[20:])
	case pcapio.LinkTypeNull, pcapio.LinkTypeLoop:
		if len(b) >= 4 {
			f := binary.NativeEndian.Uint32(b)
			if lt == pcapio.LinkTypeLoop {
				f = binary.BigEndian.Uint32(b)
			} else if f&0xffff0000 != 0 {
				f = f>>24 | f>>8&0xff00 | f<<8&0xff0000 | f<<24
			}
			if f == 7 || f == 16 || f == 23 {
				return true
			}
		}
		return len(b) >= 4 && foreignIP(b[4:])
	}
	return foreignIP(b)
}

func foreignEther(b []byte) bool {
	if len(b) < 14 {
		return false
	}
	return foreignType(binary.BigEndian.Uint16(b[12:]), b[14:])
}

func foreignType(t uint16, b []byte) bool {
	for (t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200) && len(b) >= 4 {
		t, b = binary.BigEndian.Uint16(b[2:]), b[4:]
	}
	switch {
	case t <= 1500:
		// LLC: netdiag knows IP and the generic header, not SNAP, STP,
		// IPX, NetBEUI or OSI.
		if len(b) < 3 {
			return false
		}
		d, s := b[0]&^1, b[1]&^1
		if d == 6 && s == 6 && b[2] == 3 {
			return foreignIP(b[3:])
		}
		return (b[0] == 0xff && b[1] == 0xff) || (d == s && (d == 0xaa || d == 0x42 || d == 0xe0 || d == 0xf0 || d == 0xfe))
	case t == 0x0806 || t == 0x8035:
		// ATM and Frame Relay ARP have their own printers.
		return len(b) >= 2 && (binary.BigEndian.Uint16(b) == 19 || binary.BigEndian.Uint16(b) == 15)
	case t == 0x0800 || t == 0x86dd:
		return foreignIP(b)
	}
	return foreignEtherTypes[t]
}

func foreignIP(b []byte) bool {
	if len(b) < 1 {
		return false
	}
	var proto uint8
	var l4 []byte
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return false
		}
		proto = b[9]
		hl := int(b[0]&0xf) * 4
		if binary.BigEndian.Uint16(b[6:])&0x1fff != 0 || hl < 20 || len(b) < hl {
			return foreignIPProtos[proto]
		}
		l4 = b[hl:]
	case 6:
		if len(b) < 40 {
			return false
		}
		proto, l4 = b[6], b[40:]
		for (proto == 0 || proto == 60 || proto == 43 || proto == 44) && len(l4) >= 8 {
			n := (int(l4[1]) + 1) * 8
			if proto == 44 {
				n = 8
			}
			if len(l4) < n {
				return false
			}
			proto, l4 = l4[0], l4[n:]
		}
	default:
		return false
	}
	// IPsec AH: what follows it decides.
	for proto == 51 && len(l4) >= 2 {
		n := (int(l4[1]) + 2) * 4
		if len(l4) < n {
			return false
		}
		proto, l4 = l4[0], l4[n:]
	}
	if foreignIPProtos[proto] {
		return true
	}
	switch proto {
	case 4, 41:
		return foreignIP(l4)
	case 1:
		if len(l4) >= 8 && (l4[0] == 3 || l4[0] == 4 || l4[0] == 5 || l4[0] == 11 || l4[0] == 12) {
			return foreignIP(l4[8:])
		}
		return len(l4) >= 1 && (l4[0] == 9 || l4[0] == 14)
	case 58:
		if len(l4) >= 1 && foreignICMP6[l4[0]] {
			return true
		}
		if len(l4) >= 8 && l4[0] < 128 {
			return foreignIP(l4[8:])
		}
	case 2:
		return len(l4) >= 1 && (l4[0] == 0x13 || l4[0] == 0x14 || l4[0] == 0x1e || l4[0] == 0x1f)
	case 6, 17:
		if len(l4) < 4 {
			return false
		}
		sp, dp := binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		if proto == 6 {
			// MPTCP options have their own printer.
			if len(l4) >= 20 {
				opts := l4[20:max(20, min(len(l4), int(l4[12]>>4)*4))]
				for i := 0; i < len(opts); {
					if opts[i] == 30 {
						return true
					}
					if opts[i] <= 1 || i+1 >= len(opts) || opts[i+1] < 2 {
						i++
						continue
					}
					i += int(opts[i+1])
				}
			}
			return foreignTCPPorts[sp] || foreignTCPPorts[dp]
		}
		if foreignUDPPorts[sp] || foreignUDPPorts[dp] || (sp >= 7000 && sp <= 7009) || (dp >= 7000 && dp <= 7009) {
			return true
		}
		if sp == 49152 && !beforeBCMLI(sp, dp) && len(l4) >= 12 {
			// Broadcom's LI shim (tcpdump's bcm_li_print): the packet
			// after it decides, as printed at -v.
			rest := l4[12:]
			switch l4[8] >> 1 & 0xf {
			case 7:
				return foreignEther(rest)
			case 5:
				return len(rest) >= 1 && rest[0]>>4 == 4 && foreignIP(rest)
			case 6:
				return len(rest) >= 1 && rest[0]>>4 == 6 && foreignIP(rest)
			case 4:
				return foreignIP(rest)
			}
			return false
		}
		if (sp == 6635 || dp == 6635) && !beforeBCMLI(sp, dp) {
			return foreignMPLS(l4[min(8, len(l4)):])
		}
		atalk := func(p uint16) bool { return p-16512 < 128 || p-200 < 128 || p-768 < 128 }
		if len(l4) >= 11 && l4[10] == 2 && (atalk(sp) || atalk(dp)) {
			return true
		}
		if (sp == 4790 || dp == 4790) && len(l4) >= 16 {
			// VXLAN-GPE, maybe with NSH: what they carry decides.
			next, rest := l4[11], l4[16:]
			if next == 4 && len(rest) >= 8 {
				w := int(rest[1]&0x3f) * 4
				if w < 8 || len(rest) < w {
					return false
				}
				next, rest = rest[3], rest[w:]
			}
			switch next {
			case 1, 2:
				return foreignIP(rest)
			case 3:
				return foreignEther(rest)
			}
			return false
		}
		if (sp == 4789 || dp == 4789 || sp == 8472 || dp == 8472) && len(l4) >= 16 {
			return foreignEther(l4[16:])
		}
		if (sp == 6081 || dp == 6081) && len(l4) >= 16 {
			ol := int(l4[8]&0x3f) * 4
			if len(l4) >= 16+ol {
				t := binary.BigEndian.Uint16(l4[10:])
				if t == 0x6558 {
					return foreignEther(l4[16+ol:])
				}
				return foreignType(t, l4[16+ol:])
			}
		}
	}
	return false
}

// beforeBCMLI reports whether one of netdiag's UDP printers that tcpdump
// tries before the BCM-LI shim claims the ports.
func beforeBCMLI(sp, dp uint16) bool {
	for _, port := range []uint16{53, 5353, 69, 67, 68, 500, 4500, 7500, 8500, 161, 162, 123, 546, 547} {
		if sp == port || dp == port {
			return true
		}
	}
	return false
}

// foreignMPLS looks past an MPLS label stack (in UDP, RFC 7510) at the
// IP packet netdiag's mpls printer would print.
func foreignMPLS(b []byte) bool {
	for len(b) >= 4 {
		entry := binary.BigEndian.Uint32(b)
		b = b[4:]
		if entry&0x100 == 0 {
			continue
		}
		v := byte(0)
		switch entry >> 12 {
		case 0, 3:
			v = 4
		case 2:
			v = 6
		default:
			if len(b) >= 1 && b[0] >= 0x45 && b[0] <= 0x4f {
				v = 4
			} else if len(b) >= 1 && b[0]>>4 == 6 {
				v = 6
			}
		}
		return v != 0 && len(b) >= 1 && b[0]>>4 == v && foreignIP(b)
	}
	return false
}
