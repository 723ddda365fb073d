package filter

import (
	"errors"
	"strings"
	"testing"
)

// The parser's work (tokens looked at) grows linearly with nesting: twice
// the depth, about twice the work. A "(" is tried as arithmetic before it is
// read as a parenthesised expression; re-reading the inner parentheses at
// every level made 10,000 levels take seconds (issue 18).
func TestParseLinearInNesting(t *testing.T) {
	shapes := map[string]func(n int) string{
		"parens around a primitive": func(n int) string { return nested(n) },
		"parens around arithmetic":  func(n int) string { return strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + " = 1" },
		"parens around a relation":  func(n int) string { return strings.Repeat("(", n) + "1 = 1" + strings.Repeat(")", n) },
		"nested or":                 func(n int) string { return strings.Repeat("tcp or (", n) + "udp" + strings.Repeat(")", n) },
		"nested not":                func(n int) string { return strings.Repeat("not (", n) + "udp" + strings.Repeat(")", n) },
		"nested id list":            func(n int) string { return "host (" + strings.Repeat("a or (", n) + "b" + strings.Repeat(")", n+1) },
		"syntax error at the bottom": func(n int) string {
			return strings.Repeat("tcp and (", n) + "1 1" + strings.Repeat(")", n)
		},
	}
	work := func(expr string) int {
		toks, err := lex(expr)
		if err != nil {
			t.Fatal(err)
		}
		p := &parser{toks: toks}
		p.expr(qerr)
		return p.work
	}
	for name, shape := range shapes {
		const n = 1000
		w1, w2 := work(shape(n)), work(shape(2*n))
		if r := float64(w2) / float64(w1); r > 2.2 {
			t.Errorf("%s: %d tokens looked at for depth %d, %d for depth %d (%.1fx)", name, w1, n, w2, 2*n, r)
		}
	}
}

// Nesting deeper than libpcap's parser takes is an error naming the level
// where it stops, found without reading further.
func TestParseNestingBound(t *testing.T) {
	for _, expr := range []string{
		nested(maxNesting + 1),
		strings.Repeat("not ", maxNesting+1) + "tcp",
		strings.Repeat("(", maxNesting+1) + "1" + strings.Repeat(")", maxNesting+1) + " = 1",
		strings.Repeat("-", maxNesting+1) + "1 = 1",
		"host " + strings.Repeat("(", maxNesting+1) + "a" + strings.Repeat(")", maxNesting+1),
		nested(60000),
	} {
		_, err := Compile(expr, EN10MB, 0)
		var fe *Error
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "nested more than 10000 levels deep") {
			t.Errorf("%.20q…: error %v", expr, err)
		}
	}
	for _, expr := range []string{nested(maxNesting - 2), strings.Repeat("not ", maxNesting-1) + "tcp"} {
		if _, err := Compile(expr, EN10MB, 0); err != nil {
			t.Errorf("%.20q…: %v", expr, err)
		}
	}
}
