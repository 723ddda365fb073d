package pcapio

import "net/netip"

// pcapng Name Resolution Block (draft-ietf-opsawg-pcapng, section 4.5).
const (
	blockNRB      = 4
	nrbRecordEnd  = 0
	nrbRecordIPv4 = 1
	nrbRecordIPv6 = 2
	// maxNRBBody keeps one NRB well inside what readers accept; more names
	// go into more blocks.
	maxNRBBody = 64 << 10
	// maxNamesRead bounds the names a reader keeps from a file.
	maxNamesRead = 1 << 20
)

// Name gives an address its names, as a pcapng name resolution record;
// Wireshark shows them with name resolution on (tshark -N n).
type Name struct {
	Addr  netip.Addr
	Names []string
}

// AddNames appends Name Resolution Blocks for names. pcapng allows them
// anywhere in a section; readers apply them to the whole section. Names
// that are empty or hold a NUL, and addresses that are not valid, are
// left out.
func (nw *PcapngWriter) AddNames(names []Name) error {
	b := &nw.bb
	open := false
	flush := func() error {
		if !open {
			return nil
		}
		b.u16(nrbRecordEnd)
		b.u16(0)
		open = false
		return nw.block(b.finish())
	}
	for _, n := range names {
		if !n.Addr.IsValid() {
			continue
		}
		var val []byte
		typ := uint16(nrbRecordIPv6)
		if a := n.Addr.Unmap(); a.Is4() {
			typ = nrbRecordIPv4
			a4 := a.As4()
			val = append(val, a4[:]...)
		} else {
			a16 := a.As16()
			val = append(val, a16[:]...)
		}
		hdr := len(val)
		for _, s := range n.Names {
			if s == "" || containsNUL(s) {
				continue
			}
			val = append(val, s...)
			val = append(val, 0)
		}
		if len(val) == hdr || len(val) > 0xffff {
			continue
		}
		if open && len(b.b)+4+len(val)+3 > maxNRBBody {
			if err := flush(); err != nil {
				return err
			}
		}
		if !open {
			b.begin(blockNRB)
			open = true
		}
		b.u16(typ)
		b.u16(uint16(len(val)))
		b.b = append(b.b, val...)
		b.b = append(b.b, zeroPad[:(4-len(val)&3)&3]...)
	}
	return flush()
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// NameReader is a Reader that keeps the name resolution records it has
// read (pcapng); pcap has none.
type NameReader interface {
	Reader
	// Names returns the records read so far, in file order, up to about
	// a million of them.
	Names() []Name
}

// Names returns the name resolution records read so far.
func (p *pcapngReader) Names() []Name { return p.resolved }

// addNames decodes one NRB body; a malformed record ends the block.
func (p *pcapngReader) addNames(body []byte) {
	for len(body) >= 4 && len(p.resolved) < maxNamesRead {
		typ, n := p.order.Uint16(body), int(p.order.Uint16(body[2:]))
		body = body[4:]
		if typ == nrbRecordEnd || n > len(body) {
			return
		}
		val := body[:n]
		body = body[min((n+3)&^3, len(body)):]
		alen := 4
		if typ == nrbRecordIPv6 {
			alen = 16
		} else if typ != nrbRecordIPv4 {
			continue
		}
		if len(val) < alen {
			return
		}
		addr, _ := netip.AddrFromSlice(val[:alen])
		rec := Name{Addr: addr}
		for rest := val[alen:]; len(rest) > 0; {
			i := 0
			for i < len(rest) && rest[i] != 0 {
				i++
			}
			if i > 0 {
				rec.Names = append(rec.Names, string(rest[:i]))
			}
			rest = rest[min(i+1, len(rest)):]
		}
		if len(rec.Names) > 0 {
			p.resolved = append(p.resolved, rec)
		}
	}
}

// String is "ADDR NAME…", as /etc/hosts would have it.
func (n Name) String() string {
	s := n.Addr.String()
	for _, x := range n.Names {
		s += " " + x
	}
	return s
}
