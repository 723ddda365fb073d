package nfexpr

import (
	"errors"

	"github.com/netdiag/netdiag/internal/nfnl"
)

// Kind is the type of an expression.
type Kind uint8

// Expression kinds, by NFTA_EXPR_NAME.
const (
	Other Kind = iota // a name this package does not decode: see Expr.Name
	Bitwise
	Byteorder
	Cmp
	Connlimit
	Counter
	Ct
	Dynset
	Exthdr
	Fib
	Hash
	Immediate
	Limit
	Log
	Lookup
	Masq
	Match
	Meta
	NAT
	Notrack
	Numgen
	Objref
	Payload
	Queue
	Quota
	Range
	Redir
	Reject
	Rt
	Target
)

var kinds = map[string]Kind{
	"bitwise": Bitwise, "byteorder": Byteorder, "cmp": Cmp, "connlimit": Connlimit, "counter": Counter,
	"ct": Ct, "dynset": Dynset, "exthdr": Exthdr, "fib": Fib, "hash": Hash, "immediate": Immediate,
	"limit": Limit, "log": Log, "lookup": Lookup, "masq": Masq, "match": Match, "meta": Meta,
	"nat": NAT, "notrack": Notrack, "numgen": Numgen, "objref": Objref, "payload": Payload,
	"queue": Queue, "quota": Quota, "range": Range, "redir": Redir, "reject": Reject, "rt": Rt,
	"target": Target,
}

// names holds the expression and xt extension names seen often, so that
// decoding them does not allocate.
var names = func() map[string]string {
	m := map[string]string{}
	for n := range kinds {
		m[n] = n
	}
	for _, n := range []string{"comment", "conntrack", "addrtype", "statistic", "multiport", "tcp", "udp", "mark",
		"MARK", "REJECT", "LOG", "DNAT", "SNAT", "MASQUERADE", "REDIRECT"} {
		m[n] = n
	}
	return m
}()

func intern(b []byte) string {
	if i := nfnl.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if n, ok := names[string(b)]; ok {
		return n
	}
	return string(b)
}

// Expr is one decoded expression. A field is set by the kinds its comment
// names; the others leave it zero. Byte slices point into the message.
type Expr struct {
	Kind Kind
	Name string // NFTA_EXPR_NAME
	// HasData tells whether NFTA_EXPR_DATA was present.
	HasData bool
	// Malformed means NFTA_EXPR_DATA was not what the kernel sends for
	// this kind: an attribute of the wrong size, a data attribute without
	// its value, or a cut attribute. The fields hold what was read before.
	Malformed bool
	// Seen has bit n set when data attribute n was present, known or not;
	// bit 0 (no attribute has type 0) stands for type 0 and every type
	// from 32 up.
	Seen uint32

	DReg, SReg uint32 // registers: most kinds; SReg is dynset's SREG_KEY
	// Write is set for meta, ct and payload when they store SReg into the
	// packet (NFTA_*_SREG) instead of loading into DReg.
	Write bool
	Key   uint32 // meta, ct and rt key
	Base  uint32 // payload base
	// Offset is payload's and exthdr's offset, and numgen's and hash's
	// offset added to the result.
	Offset uint32
	Len    uint32 // payload, exthdr, bitwise, byteorder and hash length
	Size   uint32 // byteorder size
	Op     uint32 // cmp, range, bitwise, byteorder, dynset and exthdr operation
	// Data is cmp's data, range's from, bitwise's mask, immediate's value
	// (NFTA_DATA_VALUE), match and target info and log's prefix (with its
	// NUL); Data2 is range's to and bitwise's xor.
	Data, Data2 []byte
	// HasVerdict is set when immediate's data is a verdict: Verdict, and
	// Chain for jump and goto.
	HasVerdict bool
	Verdict    int32
	Chain      string

	Packets, Bytes uint64 // counter; quota's limit is Bytes
	Consumed       uint64 // quota
	XTName         string // match and target
	Rev            uint32 // match and target
	Rate, Unit     uint64 // limit
	Burst          uint32 // limit
	// Type is the type of limit, numgen, hash, nat, reject, objref and
	// exthdr.
	Type uint32
	// Flags are the flags of limit, nat, masq, redir, lookup, dynset,
	// connlimit, quota, fib, log, queue and exthdr.
	Flags                  uint32
	Family                 uint32 // nat
	RegAddrMin, RegAddrMax uint32 // nat
	// RegProtoMin and RegProtoMax are the port registers of nat, masq and
	// redir.
	RegProtoMin, RegProtoMax uint32
	Modulus, Seed            uint32 // numgen, hash
	Result                   uint32 // fib
	Set                      string // lookup and dynset set, objref and hash name
	SetID                    uint32 // lookup, dynset
	Timeout                  uint64 // dynset, in milliseconds
	Count                    uint32 // connlimit
	Code                     uint8  // reject's ICMP code
	Num, Total               uint16 // queue
	Group, QThreshold        uint16 // log
	Snaplen, Level           uint32 // log
	Direction                uint8  // ct
}

// Has reports whether data attribute typ (1 to 31) was present.
func (e *Expr) Has(typ uint16) bool { return typ < 32 && e.Seen&(1<<typ) != 0 }

func seenBit(typ uint16) uint32 {
	if typ >= 32 {
		return 1
	}
	return 1 << typ
}

// ErrMalformed means the expression's NFTA_EXPR_NAME and NFTA_EXPR_DATA
// attributes could not be walked.
var ErrMalformed = errors.New("malformed expression attributes")

// Attribute numbers (linux/netfilter/nf_tables.h); they are the same on
// every GOOS, which golang.org/x/sys/unix does not name them on.
const (
	nftaExprName = 1
	nftaExprData = 2

	nftaDataValue   = 1
	nftaDataVerdict = 2
	nftaVerdictCode = 1
	nftaVerdictChan = 2
)

// Data attributes of each kind, named as in nf_tables.h.
const (
	BitwiseSReg = 1
	BitwiseDReg = 2
	BitwiseLen  = 3
	BitwiseMask = 4
	BitwiseXor  = 5
	BitwiseOp   = 6
	BitwiseData = 7

	MetaDReg = 1
	MetaKey  = 2
	MetaSReg = 3

	PayloadDReg = 1
	PayloadBase = 2
	PayloadOff  = 3
	PayloadLen  = 4
	PayloadSReg = 5

	ImmediateDReg = 1
	ImmediateData = 2

	LimitRate  = 1
	LimitUnit  = 2
	LimitBurst = 3
	LimitType  = 4
	LimitFlags = 5
)

// Decode decodes one NFTA_LIST_ELEM of a rule's NFTA_RULE_EXPRESSIONS into
// e, overwriting it. It returns ErrMalformed when the element itself
// cannot be walked; a malformed NFTA_EXPR_DATA sets e.Malformed instead.
// Data of a kind Other is not read.
func Decode(b []byte, e *Expr) error {
	*e = Expr{}
	var data []byte
	a := nfnl.Attrs{B: b}
	for a.Next() {
		switch a.Type {
		case nftaExprName:
			e.Name = intern(a.Val)
		case nftaExprData:
			data, e.HasData = a.Val, true
		}
	}
	if a.Bad {
		*e = Expr{}
		return ErrMalformed
	}
	e.Kind = kinds[e.Name]
	if e.Kind == Other || !e.HasData {
		return nil
	}
	d := decoder{e: e, a: nfnl.Attrs{B: data}}
	d.run()
	return nil
}

type decoder struct {
	e   *Expr
	a   nfnl.Attrs
	bad bool
}

func (d *decoder) u8() uint8 {
	if len(d.a.Val) != 1 {
		d.bad = true
		return 0
	}
	return d.a.Val[0]
}

func (d *decoder) u16() uint16 {
	if len(d.a.Val) != 2 {
		d.bad = true
		return 0
	}
	return uint16(d.a.Val[0])<<8 | uint16(d.a.Val[1])
}

func (d *decoder) u32() uint32 {
	v, ok := nfnl.BE32(d.a.Val)
	d.bad = d.bad || !ok
	return v
}

func (d *decoder) u64() uint64 {
	v, ok := nfnl.BE64(d.a.Val)
	d.bad = d.bad || !ok
	return v
}

// value unwraps a nested NFTA_DATA_VALUE.
func (d *decoder) value() []byte {
	v, ok := nfnl.DataValue(d.a.Val)
	d.bad = d.bad || !ok
	return v
}

func (d *decoder) str() string { return nfnl.String(d.a.Val) }

// immediateData reads NFTA_IMMEDIATE_DATA: a value or a verdict.
func (d *decoder) immediateData() {
	e := d.e
	n := nfnl.Attrs{B: d.a.Val}
	found := false
	for n.Next() {
		switch n.Type {
		case nftaDataValue:
			e.Data, found = n.Val, true
		case nftaDataVerdict:
			e.HasVerdict, found = true, true
			v := nfnl.Attrs{B: n.Val}
			for v.Next() {
				switch v.Type {
				case nftaVerdictCode:
					c, ok := nfnl.BE32(v.Val)
					d.bad = d.bad || !ok
					e.Verdict = int32(c)
				case nftaVerdictChan:
					e.Chain = nfnl.String(v.Val)
				}
			}
			d.bad = d.bad || v.Bad
		default:
			d.bad = true // nft_data has a value or a verdict, nothing else
		}
	}
	d.bad = d.bad || n.Bad || !found
}

func (d *decoder) run() {
	e := d.e
	for d.a.Next() {
		t := d.a.Type
		e.Seen |= seenBit(t)
		switch e.Kind {
		case Bitwise:
			switch t {
			case BitwiseSReg:
				e.SReg = d.u32()
			case BitwiseDReg:
				e.DReg = d.u32()
			case BitwiseLen:
				e.Len = d.u32()
			case BitwiseMask:
				e.Data = d.value()
			case BitwiseXor:
				e.Data2 = d.value()
			case BitwiseOp:
				e.Op = d.u32()
			}
		case Byteorder:
			switch t {
			case 1:
				e.SReg = d.u32()
			case 2:
				e.DReg = d.u32()
			case 3:
				e.Op = d.u32()
			case 4:
				e.Len = d.u32()
			case 5:
				e.Size = d.u32()
			}
		case Cmp:
			switch t {
			case 1:
				e.SReg = d.u32()
			case 2:
				e.Op = d.u32()
			case 3:
				e.Data = d.value()
			}
		case Connlimit:
			switch t {
			case 1:
				e.Count = d.u32()
			case 2:
				e.Flags = d.u32()
			}
		case Counter:
			switch t {
			case 1:
				e.Bytes = d.u64()
			case 2:
				e.Packets = d.u64()
			}
		case Ct:
			switch t {
			case 1:
				e.DReg = d.u32()
			case 2:
				e.Key = d.u32()
			case 3:
				e.Direction = d.u8()
			case 4:
				e.SReg, e.Write = d.u32(), true
			}
		case Dynset:
			switch t {
			case 1:
				e.Set = d.str()
			case 2:
				e.SetID = d.u32()
			case 3:
				e.Op = d.u32()
			case 4:
				e.SReg = d.u32()
			case 5:
				e.DReg = d.u32() // NFTA_DYNSET_SREG_DATA: the data to store
			case 6:
				e.Timeout = d.u64()
			case 8:
				e.Flags = d.u32()
			}
		case Exthdr:
			switch t {
			case 1:
				e.DReg = d.u32()
			case 2:
				e.Type = uint32(d.u8())
			case 3:
				e.Offset = d.u32()
			case 4:
				e.Len = d.u32()
			case 5:
				e.Flags = d.u32()
			case 6:
				e.Op = d.u32()
			case 7:
				e.SReg = d.u32()
			}
		case Fib:
			switch t {
			case 1:
				e.DReg = d.u32()
			case 2:
				e.Result = d.u32()
			case 3:
				e.Flags = d.u32()
			}
		case Hash:
			switch t {
			case 1:
				e.SReg = d.u32()
			case 2:
				e.DReg = d.u32()
			case 3:
				e.Len = d.u32()
			case 4:
				e.Modulus = d.u32()
			case 5:
				e.Seed = d.u32()
			case 6:
				e.Offset = d.u32()
			case 7:
				e.Type = d.u32()
			case 8:
				e.Set = d.str()
			}
		case Immediate:
			switch t {
			case ImmediateDReg:
				e.DReg = d.u32()
			case ImmediateData:
				d.immediateData()
			}
		case Limit:
			switch t {
			case LimitRate:
				e.Rate = d.u64()
			case LimitUnit:
				e.Unit = d.u64()
			case LimitBurst:
				e.Burst = d.u32()
			case LimitType:
				e.Type = d.u32()
			case LimitFlags:
				e.Flags = d.u32()
			}
		case Log:
			switch t {
			case 1:
				e.Group = d.u16()
			case 2:
				e.Data = d.a.Val
			case 3:
				e.Snaplen = d.u32()
			case 4:
				e.QThreshold = d.u16()
			case 5:
				e.Level = d.u32()
			case 6:
				e.Flags = d.u32()
			}
		case Lookup:
			switch t {
			case 1:
				e.Set = d.str()
			case 2:
				e.SReg = d.u32()
			case 3:
				e.DReg = d.u32()
			case 4:
				e.SetID = d.u32()
			case 5:
				e.Flags = d.u32()
			}
		case Masq:
			switch t {
			case 1:
				e.Flags = d.u32()
			case 2:
				e.RegProtoMin = d.u32()
			case 3:
				e.RegProtoMax = d.u32()
			}
		case Match, Target:
			switch t {
			case 1:
				e.XTName = intern(d.a.Val)
			case 2:
				e.Rev = d.u32()
			case 3:
				e.Data = d.a.Val
			}
		case Meta:
			switch t {
			case MetaDReg:
				e.DReg = d.u32()
			case MetaKey:
				e.Key = d.u32()
			case MetaSReg:
				e.SReg, e.Write = d.u32(), true
			}
		case NAT:
			switch t {
			case 1:
				e.Type = d.u32()
			case 2:
				e.Family = d.u32()
			case 3:
				e.RegAddrMin = d.u32()
			case 4:
				e.RegAddrMax = d.u32()
			case 5:
				e.RegProtoMin = d.u32()
			case 6:
				e.RegProtoMax = d.u32()
			case 7:
				e.Flags = d.u32()
			}
		case Numgen:
			switch t {
			case 1:
				e.DReg = d.u32()
			case 2:
				e.Modulus = d.u32()
			case 3:
				e.Type = d.u32()
			case 4:
				e.Offset = d.u32()
			}
		case Objref:
			switch t {
			case 1:
				e.Type = d.u32()
			case 2:
				e.Set = d.str()
			case 3:
				e.SReg = d.u32()
			}
		case Payload:
			switch t {
			case PayloadDReg:
				e.DReg = d.u32()
			case PayloadBase:
				e.Base = d.u32()
			case PayloadOff:
				e.Offset = d.u32()
			case PayloadLen:
				e.Len = d.u32()
			case PayloadSReg:
				e.SReg, e.Write = d.u32(), true
			}
		case Queue:
			switch t {
			case 1:
				e.Num = d.u16()
			case 2:
				e.Total = d.u16()
			case 3:
				e.Flags = uint32(d.u16())
			case 4:
				e.SReg = d.u32()
			}
		case Quota:
			switch t {
			case 1:
				e.Bytes = d.u64()
			case 2:
				e.Flags = d.u32()
			case 4:
				e.Consumed = d.u64()
			}
		case Range:
			switch t {
			case 1:
				e.SReg = d.u32()
			case 2:
				e.Op = d.u32()
			case 3:
				e.Data = d.value()
			case 4:
				e.Data2 = d.value()
			}
		case Redir:
			switch t {
			case 1:
				e.RegProtoMin = d.u32()
			case 2:
				e.RegProtoMax = d.u32()
			case 3:
				e.Flags = d.u32()
			}
		case Reject:
			switch t {
			case 1:
				e.Type = d.u32()
			case 2:
				e.Code = d.u8()
			}
		case Rt:
			switch t {
			case 1:
				e.DReg = d.u32()
			case 2:
				e.Key = d.u32()
			}
		}
	}
	e.Malformed = d.bad || d.a.Bad
}
