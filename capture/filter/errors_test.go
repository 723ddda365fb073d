package filter

import (
	"errors"
	"testing"
)

// Errors name the offending token as the user wrote it and count columns in
// characters: UTF-8 input must not come back as Latin-1 mojibake, and a
// character of several bytes is one column.
func TestErrorTokenAndColumnUTF8(t *testing.T) {
	tests := []struct {
		expr  string
		pos   int
		token string
		msg   string
	}{
		{expr: "host café", pos: 9, token: "é", msg: `unexpected character: "é" at column 9`},
		{expr: "ü", pos: 1, token: "ü", msg: `unexpected character: "ü" at column 1`},
		{expr: "tcp and ✓", pos: 9, token: "✓", msg: `unexpected character: "✓" at column 9`},
		// A multi-byte name before the error moves the column by characters.
		{expr: `host \Zürich and é`, pos: 18, token: "é"},
		{expr: `host \Zürich and and`, pos: 18, token: "and"},
		{expr: `host \Zürich or`, pos: 16, token: ""},
		{expr: `host \日本 or )`, pos: 13, token: ")"},
		// A byte that is not UTF-8 is reported as that byte.
		{expr: "host \xe9", pos: 6, token: "\xe9", msg: `unexpected character: "\xe9" at column 6`},
	}
	for _, tc := range tests {
		_, err := Compile(tc.expr, EN10MB, 0, HostsFile("testdata/hosts"))
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%q: error %v, want a *filter.Error", tc.expr, err)
			continue
		}
		if fe.Pos != tc.pos || fe.Token != tc.token {
			t.Errorf("%q: %q at column %d, want %q at column %d (%v)", tc.expr, fe.Token, fe.Pos, tc.token, tc.pos, err)
		}
		if tc.msg != "" && err.Error() != tc.msg {
			t.Errorf("%q: error %q, want %q", tc.expr, err, tc.msg)
		}
	}
}
