// Command netdiag diagnoses Kubernetes node networking from one static binary.
package main

import (
	"os"

	"github.com/netdiag/netdiag/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
