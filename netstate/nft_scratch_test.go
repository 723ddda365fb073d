package netstate

import (
	"os"
	"testing"

	"github.com/netdiag/netdiag/nsutil"
)

func TestScratchNFT(t *testing.T) {
	p := os.Getenv("SCRATCH_NS")
	if p == "" {
		t.Skip()
	}
	ns, err := nsutil.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NFTDump(ns, "", "")
	if err != nil {
		t.Fatal(err)
	}
	rs.WriteText(os.Stdout)
}
