package show

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/ipvs"
)

// TestWriteIPVS prints the table ipvs's TestIPVSDecode decodes; the text
// is ipvsadm -Ln's for it, trailing spaces included.
func TestWriteIPVS(t *testing.T) {
	st := &ipvs.State{Version: "1.2.1", ConnTableSize: 4096, Services: []ipvs.Service{
		{Protocol: "TCP", Address: netip.MustParseAddr("198.18.200.10"), Port: 80, Scheduler: "rr", Netmask: 0xffffffff,
			Destinations: []ipvs.Destination{
				{Address: netip.MustParseAddr("198.18.0.6"), Port: 8080, Forward: "Masq", Weight: 1, ActiveConns: 3, InactiveConns: 7},
				{Address: netip.MustParseAddr("198.18.1.7"), Port: 8080, Forward: "Tunnel", Weight: 5, InactiveConns: 1},
			}},
		{Protocol: "UDP", Address: netip.MustParseAddr("198.18.200.53"), Port: 53, Scheduler: "wrr", Flags: []string{"persistent"}, Timeout: 10800, Netmask: 0xffffffff,
			Destinations: []ipvs.Destination{}},
	}}
	var b bytes.Buffer
	if err := WriteIPVS(&b, st); err != nil {
		t.Fatal(err)
	}
	want := `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  198.18.200.10:80 rr
  -> 198.18.0.6:8080              Masq    1      3          7         
  -> 198.18.1.7:8080              Tunnel  5      0          1         
UDP  198.18.200.53:53 wrr persistent 10800
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("ipvsadm -Ln text (-want +got):\n%s", diff)
	}
}
