// Package regexp trims netdiag's image again once regexp and the
// packages ordered before it have initialised (see package trim). main
// imports it for that init only.
package regexp

import (
	_ "regexp"

	"github.com/netdiag/netdiag/internal/trim"
)

func init() {
	trim.AtStart()
}
