// Package decode trims netdiag's image again once capture/decode and the
// packages ordered before it have initialised (see package trim). main
// imports it for that init only.
package decode

import (
	_ "github.com/netdiag/netdiag/capture/decode"

	"github.com/netdiag/netdiag/internal/trim"
)

func init() {
	trim.AtStart()
}
