package show

import (
	"strconv"

	"github.com/netdiag/netdiag/conntrack"
)

// AppendConntrack appends the entry as `conntrack -L` prints it (the
// default output format of libnetfilter_conntrack), without a newline.
//
// Equivalent to one line of: `conntrack -L`.
func AppendConntrack(b []byte, e *conntrack.Entry) []byte {
	start := len(b)
	name := conntrack.ProtoName(e.Proto)
	b = append(b, name...)
	for i := len(name); i < 8; i++ {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(e.Proto), 10)
	b = append(b, ' ')
	if e.HasTimeout {
		b = strconv.AppendUint(b, uint64(e.Timeout), 10)
		b = append(b, ' ')
	}
	if s := e.StateName(); s != "" {
		b = append(b, s...)
		b = append(b, ' ')
	}
	b = appendConntrackTuple(b, &e.Orig, "zone-orig=")
	if e.HasStatus && e.Status&conntrack.SeenReply == 0 {
		b = append(b, "[UNREPLIED] "...)
	}
	b = appendConntrackTuple(b, &e.Reply, "zone-reply=")
	if e.HasStatus {
		switch {
		case e.Status&conntrack.Offload != 0:
			b = append(b, "[OFFLOAD] "...)
		case e.Status&conntrack.HWOffload != 0:
			b = append(b, "[HW_OFFLOAD] "...)
		case e.Status&conntrack.Assured != 0:
			b = append(b, "[ASSURED] "...)
		}
	}
	if e.HasMark {
		b = append(b, "mark="...)
		b = strconv.AppendUint(b, uint64(e.Mark), 10)
		b = append(b, ' ')
	}
	if e.HasSecmark {
		b = append(b, "secmark="...)
		b = strconv.AppendUint(b, uint64(e.Secmark), 10)
		b = append(b, ' ')
	}
	if e.SecCtx != "" {
		b = append(b, "secctx="...)
		b = append(b, e.SecCtx...)
		b = append(b, ' ')
	}
	if e.HasZone {
		b = append(b, "zone="...)
		b = strconv.AppendUint(b, uint64(e.Zone), 10)
		b = append(b, ' ')
	}
	if e.Helper != "" {
		b = append(b, "helper="...)
		b = append(b, e.Helper...)
		b = append(b, ' ')
	}
	if e.HasUse {
		b = append(b, "use="...)
		b = strconv.AppendUint(b, uint64(e.Use), 10)
		b = append(b, ' ')
	}
	if len(b) > start && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

func appendConntrackTuple(b []byte, t *conntrack.Tuple, zoneKey string) []byte {
	b = append(b, "src="...)
	b = t.Src.AppendTo(b)
	b = append(b, " dst="...)
	b = t.Dst.AppendTo(b)
	b = append(b, ' ')
	switch {
	case t.HasPorts:
		b = append(b, "sport="...)
		b = strconv.AppendUint(b, uint64(t.SrcPort), 10)
		b = append(b, " dport="...)
		b = strconv.AppendUint(b, uint64(t.DstPort), 10)
		b = append(b, ' ')
	case t.HasICMP:
		b = append(b, "type="...)
		b = strconv.AppendUint(b, uint64(t.ICMPType), 10)
		b = append(b, " code="...)
		b = strconv.AppendUint(b, uint64(t.ICMPCode), 10)
		b = append(b, " id="...)
		b = strconv.AppendUint(b, uint64(t.ICMPID), 10)
		b = append(b, ' ')
	}
	if t.HasZone {
		b = append(b, zoneKey...)
		b = strconv.AppendUint(b, uint64(t.Zone), 10)
		b = append(b, ' ')
	}
	if t.HasCounters {
		b = append(b, "packets="...)
		b = strconv.AppendUint(b, t.Packets, 10)
		b = append(b, " bytes="...)
		b = strconv.AppendUint(b, t.Bytes, 10)
		b = append(b, ' ')
	}
	return b
}

// AppendConntrackEvent appends the event as `conntrack -E` prints it,
// "    [NEW] tcp …", without a newline.
func AppendConntrackEvent(b []byte, ev *conntrack.Event) []byte {
	tag := "[" + ev.Type + "]"
	for i := len(tag); i < 9; i++ {
		b = append(b, ' ')
	}
	b = append(b, tag...)
	b = append(b, ' ')
	return AppendConntrack(b, &ev.Entry)
}
