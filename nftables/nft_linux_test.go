package nftables

import (
	"errors"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

func labNS(t testing.TB) (string, *nsutil.NetNS) {
	t.Helper()
	n := testlab.NewNetNS(t)
	ns, err := nsutil.Open(testlab.NetNSPath(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return n, ns
}

// The ruleset's text is compared with `nft list ruleset` in package show
// (TestWriteNFTAgreesWithNft).

func TestDumpMissingTable(t *testing.T) {
	testlab.RequireRoot(t)
	_, ns := labNS(t)
	if _, err := Dump(ns, "ip", "no-such-table"); !errors.Is(err, ErrTableNotFound) || !strings.Contains(err.Error(), "no such nftables table") {
		t.Errorf("Dump of a missing table: %v", err)
	}
}

// FuzzParseNFTMessages feeds arbitrary bytes to the nf_tables message
// decoders: they must return errors, never panic.
func FuzzParseNFTMessages(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 8, 0, 1, 0, 'n', 'a', 't', 0})
	f.Add([]byte{2, 0, 0, 0, 12, 0, 4, 0, 8, 0, 1, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		parseNFTTable(b)
		parseNFTChain(b)
		s, _, _ := parseNFTSet(b)
		parseNFTElements(b, &s)
		s.finish()
		if r, err := parseNFTRule(b); err == nil {
			renderNFTRule("ip", map[string]*Set{}, r)
		}
	})
}
