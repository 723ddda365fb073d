package gen

import (
	"encoding/binary"
	"net"
	"net/netip"
)

func payloadLen(cfg Config) int {
	size := cfg.Size
	if size == 0 {
		size = 64
	}
	if size < 60 {
		size = 60
	}
	hdr := 14 + 20 + 8
	if cfg.VLAN > 0 {
		hdr += 4
	}
	return size - hdr
}

// Frame builds the Ethernet/IPv4/UDP frame Send transmits, with seq in the
// first 4 payload bytes.
func Frame(cfg Config, seq uint32) []byte {
	src, dst := cfg.Src, cfg.Dst
	if !src.IsValid() {
		src = netip.AddrFrom4([4]byte{198, 18, 0, 1})
	}
	if !dst.IsValid() {
		dst = netip.AddrFrom4([4]byte{198, 18, 0, 2})
	}
	sp, dp := cfg.SrcPort, cfg.DstPort
	if sp == 0 {
		sp = 40000
	}
	if dp == 0 {
		dp = 9
	}
	dmac := cfg.DstMAC
	if dmac == nil {
		dmac = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
	smac := cfg.SrcMAC
	if smac == nil {
		smac = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	}
	pl := payloadLen(cfg)
	b := make([]byte, 0, 64+pl)
	b = append(b, dmac[:6]...)
	b = append(b, smac[:6]...)
	if cfg.VLAN > 0 {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, uint16(cfg.VLAN&0xfff))
	}
	b = binary.BigEndian.AppendUint16(b, 0x0800)
	ip := len(b)
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(20+8+pl))
	b = append(b, 0, 0, 0x40, 0, 64, 17, 0, 0) // id 0, DF, ttl 64, UDP, checksum later
	s4, d4 := src.As4(), dst.As4()
	b = append(b, s4[:]...)
	b = append(b, d4[:]...)
	binary.BigEndian.PutUint16(b[ip+10:], checksum(b[ip:ip+20]))
	b = binary.BigEndian.AppendUint16(b, sp)
	b = binary.BigEndian.AppendUint16(b, dp)
	b = binary.BigEndian.AppendUint16(b, uint16(8+pl))
	b = append(b, 0, 0) // no UDP checksum (allowed for IPv4)
	payload := make([]byte, pl)
	if pl >= 4 {
		binary.BigEndian.PutUint32(payload, seq)
	}
	return append(b, payload...)
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}
