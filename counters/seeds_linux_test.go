package counters

import (
	"os"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab/socklab"
)

// TestWriteSeeds records the lab's /proc/net counter files into testdata/.
// Run by hand: NETDIAG_WRITE_SEEDS=1 go test -run TestWriteSeeds ./counters/
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("NETDIAG_WRITE_SEEDS") != "1" {
		t.Skip("generator; set NETDIAG_WRITE_SEEDS=1")
	}
	l := socklab.New(t)
	for src, dst := range map[string]string{
		"/proc/thread-self/net/snmp": "proc_net_counters/snmp", "/proc/thread-self/net/netstat": "proc_net_counters/netstat",
		"/proc/thread-self/net/snmp6": "proc_net_counters/snmp6",
	} {
		var b []byte
		err := l.ClientNS.Do(func() error {
			var err error
			b, err = os.ReadFile(src)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/"+dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
