// Command netdiag diagnoses Kubernetes node networking from one static binary.
package main

import (
	"os"

	"github.com/netdiag/netdiag/cli"
	// Trim points spread through package initialisation (see internal/trim).
	_ "github.com/netdiag/netdiag/internal/trim/after/decode"
	_ "github.com/netdiag/netdiag/internal/trim/after/grpc"
	_ "github.com/netdiag/netdiag/internal/trim/after/regexp"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
