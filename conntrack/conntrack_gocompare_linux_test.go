package conntrack

import (
	"io"
	"log"
	"net"
	"testing"

	ct "github.com/florianl/go-conntrack"
	"github.com/google/go-cmp/cmp"
)

// TestConntrackParseAgreesWithGoConntrack decodes the recorded dump with our
// parser and with go-conntrack's and compares the fields both know.
func TestConntrackParseAgreesWithGoConntrack(t *testing.T) {
	b := conntrackSeed(t, "ctnetlink_dump.bin")
	n := 0
	err := ctNlSplit(b, func(m ctNlMessage) error {
		if m.typ != ctSubsys<<8|ctMsgNew {
			return nil
		}
		n++
		var e Entry
		if err := ParseMessage(m.body, &e); err != nil {
			return err
		}
		lib, err := ct.ParseAttributes(log.New(io.Discard, "", 0), m.body)
		if err != nil {
			return err
		}
		ip := func(p *net.IP) string { return p.String() }
		type view struct {
			OSrc, ODst, RSrc, RDst         string
			Proto                          uint8
			Status, Mark, Use, Timeout, ID uint32
		}
		want := view{ip(lib.Origin.Src), ip(lib.Origin.Dst), ip(lib.Reply.Src), ip(lib.Reply.Dst), *lib.Origin.Proto.Number,
			*lib.Status, *lib.Mark, *lib.Use, *lib.Timeout, *lib.ID}
		got := view{e.Orig.Src.String(), e.Orig.Dst.String(), e.Reply.Src.String(), e.Reply.Dst.String(), e.Proto,
			e.Status, e.Mark, e.Use, e.Timeout, e.ID}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("entry %d (-go-conntrack +ours):\n%s", n, diff)
		}
		if lib.Origin.Proto.SrcPort != nil && (*lib.Origin.Proto.SrcPort != e.Orig.SrcPort || *lib.Reply.Proto.DstPort != e.Reply.DstPort) {
			t.Errorf("entry %d: ports differ: %s", n, e.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("sample holds %d entries, want the lab's 5", n)
	}
}
