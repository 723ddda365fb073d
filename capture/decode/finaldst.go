package decode

// ip6FinalDst is tcpdump's ip6_finddst: the destination the transport
// checksum covers, which a routing header replaces with its last address
// (types 0 and 2) or its first segment (type 4, the segment list being in
// reverse order). b is the IPv6 packet from its fixed header on.
func ip6FinalDst(b []byte) []byte {
	dst := b[24:40]
	cp, adv, nh := 0, 40, b[6]
	for cp < len(b) {
		cp += adv
		switch nh {
		case protoHopOpts, protoDstOpts, 135, 62:
			if cp+2 > len(b) {
				return dst
			}
			adv = (int(b[cp+1]) + 1) << 3
			nh = b[cp]
		case protoFragment:
			if cp+1 > len(b) {
				return dst
			}
			adv = 8
			nh = b[cp]
		case protoRouting:
			if cp+4 > len(b) {
				return dst
			}
			n := int(b[cp+1])
			if n%2 == 1 {
				return dst
			}
			switch b[cp+2] {
			case 0, 2:
				for i, at := 0, cp+8; i < n/2 && at+16 <= len(b); i, at = i+1, at+16 {
					dst = b[at : at+16]
				}
			case 4:
				if at := cp + 8; at+16 <= len(b) {
					dst = b[at : at+16]
				}
			}
			return dst
		default:
			return dst
		}
	}
	return dst
}

// sumDst is the destination for the transport checksum's pseudo-header.
func (i ipInfo) sumDst() []byte {
	if i.finalDst != nil {
		return i.finalDst
	}
	return i.dst
}

// ip4FinalDst is tcpdump's ip_finddst: the last address slot of a loose
// or strict source route option replaces the destination in the
// transport checksum. b is the IPv4 packet, hlen its header length.
func ip4FinalDst(b []byte, hlen int) []byte {
	if hlen <= 20 || len(b) < hlen {
		return nil
	}
	opts := b[20:hlen]
	for cp := 0; cp < len(opts); {
		t := opts[cp]
		n := 1
		if t == 0 {
			break
		}
		if t != 1 {
			if cp+1 >= len(opts) {
				break
			}
			if n = int(opts[cp+1]); n < 2 {
				break
			}
		}
		if len(opts)-cp < n {
			break
		}
		if (t == 131 || t == 137) && n >= 7 {
			return opts[cp+n-4 : cp+n]
		}
		cp += n
	}
	return nil
}
