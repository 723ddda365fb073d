package cli

import (
	"fmt"
	"runtime"

	ucli "github.com/urfave/cli/v2"
)

func init() {
	register(&ucli.Command{
		Name:  "version",
		Usage: "print netdiag's version",
		Action: func(c *ucli.Context) error {
			e := envOf(c)
			v := struct {
				Version string `json:"version"`
				Go      string `json:"go"`
				OS      string `json:"os"`
				Arch    string `json:"arch"`
			}{Version, runtime.Version(), runtime.GOOS, runtime.GOARCH}
			if isJSON(c) {
				return writeJSON(e.stdout, v)
			}
			_, err := fmt.Fprintf(e.stdout, "netdiag %s (%s %s/%s)\n", v.Version, v.Go, v.OS, v.Arch)
			return err
		},
	})
}
