// Package grpc trims netdiag's image again once google.golang.org/grpc and the
// packages ordered before it have initialised (see package trim). main
// imports it for that init only.
package grpc

import (
	_ "google.golang.org/grpc"

	"github.com/netdiag/netdiag/internal/trim"
)

func init() {
	trim.AtStart()
}
