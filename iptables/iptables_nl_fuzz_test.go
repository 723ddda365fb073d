package iptables

import (
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/nfnl"
)

// FuzzIPTablesTranslate feeds a rule's expression list (the payload of
// NFTA_RULE_EXPRESSIONS, untrusted kernel bytes) to the decoder and the
// translator. The seed corpus in testdata/fuzz/FuzzIPTablesTranslate holds
// real lists the kernel returned for testdata/iptables/all4.rules and
// all6.rules. Invariants: no panic; an error means no rule; a rule is one
// line that SplitArgs splits without loss of its first word.
func FuzzIPTablesTranslate(f *testing.F) {
	f.Add(uint8(2), []byte{})
	f.Fuzz(func(t *testing.T, famSel uint8, list []byte) {
		fam := uint8(2)
		if famSel&1 == 1 {
			fam = 10
		}
		var exprs []nlExpr
		l := nfnl.Attrs{B: list}
		for l.Next() {
			exprs = append(exprs, nlExpr{})
			decodeNLExpr(l.Val, &exprs[len(exprs)-1])
		}
		r, err := translateRule(fam, "C", 1, exprs)
		if err != nil {
			if r.Spec != "" {
				t.Fatalf("error %v with a rule %q", err, r.Spec)
			}
			return
		}
		if strings.ContainsAny(r.Spec, "\n\r\x00") {
			t.Fatalf("rule spec %q spans lines", r.Spec)
		}
		if r.Spec != "" && len(SplitArgs(r.Spec)) == 0 {
			t.Fatalf("rule spec %q has no arguments", r.Spec)
		}
	})
}

// FuzzXTInfo feeds arbitrary info bytes to every xt match and target
// decoder the translator knows, at every revision it accepts.
func FuzzXTInfo(f *testing.F) {
	f.Add(uint8(0), make([]byte, 256))
	f.Add(uint8(1), make([]byte, 168))
	f.Fuzz(func(t *testing.T, sel uint8, info []byte) {
		type ext struct {
			target bool
			name   string
			rev    uint32
		}
		exts := []ext{{false, "comment", 0}, {false, "conntrack", 3}, {false, "addrtype", 1}, {false, "statistic", 0},
			{false, "multiport", 1}, {false, "tcp", 0}, {false, "udp", 0}, {false, "udp", 0},
			{true, "MARK", 2}, {true, "REJECT", 0}, {true, "LOG", 0}, {true, "MASQUERADE", 0}, {true, "REDIRECT", 0},
			{true, "SNAT", 0}, {true, "DNAT", 0}, {true, "SNAT", 2}, {true, "DNAT", 2}}
		e := exts[int(sel>>1)%len(exts)]
		fam := uint8(2)
		if sel&1 == 1 {
			fam = 10
		}
		var s string
		var err error
		if e.target {
			s, err = xtTargetSave(fam, e.name, e.rev, info)
		} else {
			s, err = xtMatchSave(fam, e.name, e.rev, info)
		}
		if err != nil && s != "" {
			t.Fatalf("%s: error %v with text %q", e.name, err, s)
		}
		if strings.ContainsAny(s, "\n\r\x00") {
			t.Fatalf("%s: text %q spans lines", e.name, s)
		}
	})
}
