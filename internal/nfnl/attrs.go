package nfnl

import "encoding/binary"

// Attrs walks netlink attributes in place, without copying: set B, then call
// Next until it returns false; Bad tells whether the walk stopped on a
// malformed attribute rather than at the end.
type Attrs struct {
	B    []byte
	Type uint16 // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
	Val  []byte // points into B's array
	Bad  bool
}

// Next moves to the next attribute.
func (a *Attrs) Next() bool {
	if len(a.B) < 4 {
		a.Bad = a.Bad || len(a.B) != 0
		return false
	}
	l := int(binary.NativeEndian.Uint16(a.B))
	if l < 4 || l > len(a.B) {
		a.Bad = true
		return false
	}
	a.Type = binary.NativeEndian.Uint16(a.B[2:]) & 0x3fff // drop NLA_F_NESTED, NLA_F_NET_BYTEORDER
	a.Val = a.B[4:l]
	adv := (l + 3) &^ 3
	if adv > len(a.B) {
		adv = len(a.B)
	}
	a.B = a.B[adv:]
	return true
}

// BE32 is a big-endian 32-bit attribute; false when b is not 4 bytes.
func BE32(b []byte) (uint32, bool) {
	if len(b) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(b), true
}

// BE64 is a big-endian 64-bit attribute; false when b is not 8 bytes.
func BE64(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// String is a NUL-terminated netlink string attribute.
func String(b []byte) string {
	if i := IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// IndexByte is bytes.IndexByte for the short names of attributes.
func IndexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// nftaDataValue is NFTA_DATA_VALUE (linux/netfilter/nf_tables.h).
const nftaDataValue = 1

// DataValue unwraps a nested NFTA_DATA_VALUE.
func DataValue(b []byte) ([]byte, bool) {
	a := Attrs{B: b}
	for a.Next() {
		if a.Type == nftaDataValue {
			return a.Val, true
		}
	}
	return nil, false
}
