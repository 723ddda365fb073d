package filter

import "fmt"

// Error is a compile error at a place in the expression. Pos is the 1-based
// column of Token; Pos 0 means the error concerns the whole expression.
type Error struct {
	Pos   int
	Token string
	Msg   string
}

func (e *Error) Error() string {
	if e.Pos == 0 {
		return e.Msg
	}
	if e.Token == "" {
		return fmt.Sprintf("%s at end of expression (column %d)", e.Msg, e.Pos)
	}
	return fmt.Sprintf("%s: %q at column %d", e.Msg, e.Token, e.Pos)
}
