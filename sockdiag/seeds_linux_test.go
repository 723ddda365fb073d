package sockdiag

import (
	"os"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab/socklab"
	"golang.org/x/sys/unix"
)

// TestWriteSeeds records raw sock_diag replies from the lab into testdata/.
// Run by hand: NETDIAG_WRITE_SEEDS=1 go test -run TestWriteSeeds ./sockdiag/
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("NETDIAG_WRITE_SEEDS") != "1" {
		t.Skip("generator; set NETDIAG_WRITE_SEEDS=1")
	}
	l := socklab.New(t)
	l.Listen(t, l.ServerNS, socklab.AddrPort("[::]:8443"), 7)
	// sock_diag: TCP v4 all states from the server, v6 listeners.
	for _, q := range []struct {
		name   string
		fam    uint8
		proto  uint8
		states uint32
	}{{"sockdiag_tcp4_all.bin", unix.AF_INET, unix.IPPROTO_TCP, sockAllStates}, {"sockdiag_tcp6_listen.bin", unix.AF_INET6, unix.IPPROTO_TCP, 1 << sockTCPListen}} {
		fd, err := l.ServerNS.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_SOCK_DIAG)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Sendto(fd, sockDiagRequest(1, q.fam, q.proto, q.states), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65536)
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
		if err := os.WriteFile("testdata/"+q.name, buf[:n], 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
