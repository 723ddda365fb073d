package conntrack

import (
	"os"
	"testing"
	"time"

	ct "github.com/florianl/go-conntrack"
	"github.com/mdlayher/netlink"

	"github.com/netdiag/netdiag/internal/testlab/socklab"
	"github.com/netdiag/netdiag/nsutil"
)

// TestWriteSeeds records raw kernel replies from the lab into testdata/.
// Run by hand: NETDIAG_WRITE_SEEDS=1 go test -run TestWriteSeeds ./conntrack/
// (./sockdiag/ and ./counters/ have their own.)
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("NETDIAG_WRITE_SEEDS") != "1" {
		t.Skip("generator; set NETDIAG_WRITE_SEEDS=1")
	}
	l := socklab.NewNAT(t)
	// ctnetlink dump and cpu stats of the client.
	for _, q := range []struct {
		name string
		typ  uint16
	}{{"ctnetlink_dump.bin", ctMsgGet}, {"ctnetlink_stats_cpu.bin", ctMsgGetStatsCPU}} {
		nf, err := conntrackOpen(l.ClientNS)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nf.Con.Send(netlink.Message{Header: netlink.Header{Type: netlink.HeaderType(ctSubsys<<8 | q.typ), Flags: netlink.Request | netlink.Dump}, Data: []byte{0, 0, 0, 0}}); err != nil {
			t.Fatal(err)
		}
		_ = nf.Con.SetReadDeadline(time.Now().Add(5 * time.Second))
		var all []byte
		_ = conntrackRecv(nf, func(b []byte) (bool, error) {
			all = append(all, b...)
			return true, nil
		})
		nf.Close()
		if err := os.WriteFile("testdata/"+q.name, all, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_ = ct.IPv4
	b, err := readInNetNS(l.ClientNS, "/proc/thread-self/net/stat/nf_conntrack")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/proc_net_stat_nf_conntrack.txt", b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readInNetNS reads a file of /proc/thread-self/net as seen from ns.
func readInNetNS(ns *nsutil.NetNS, p string) ([]byte, error) {
	var b []byte
	err := ns.Do(func() error {
		var err error
		b, err = os.ReadFile(p)
		return err
	})
	return b, err
}
