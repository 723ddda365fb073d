package netstate

import (
	"os"
	"testing"
	"time"

	ct "github.com/florianl/go-conntrack"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// TestWriteSeeds records raw kernel replies from the lab into testdata/.
// Run by hand: NETDIAG_WRITE_SEEDS=1 go test -run TestWriteSeeds ./netstate/
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("NETDIAG_WRITE_SEEDS") != "1" {
		t.Skip("generator; set NETDIAG_WRITE_SEEDS=1")
	}
	l := newConntrackLab(t)
	l.listen(t, l.serverNS, netipMust("[::]:8443"), 7)
	// sock_diag: TCP v4 all states from the server, v6 listeners.
	for _, q := range []struct {
		name   string
		fam    uint8
		proto  uint8
		states uint32
	}{{"sockdiag_tcp4_all.bin", unix.AF_INET, unix.IPPROTO_TCP, sockAllStates}, {"sockdiag_tcp6_listen.bin", unix.AF_INET6, unix.IPPROTO_TCP, 1 << sockTCPListen}} {
		fd, err := l.serverNS.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_SOCK_DIAG)
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
	// ctnetlink dump and cpu stats of the client.
	for _, q := range []struct {
		name string
		typ  uint16
	}{{"ctnetlink_dump.bin", ctMsgGet}, {"ctnetlink_stats_cpu.bin", ctMsgGetStatsCPU}} {
		nf, err := conntrackOpen(l.clientNS)
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
	for src, dst := range map[string]string{
		"/proc/thread-self/net/snmp": "proc_net_counters/snmp", "/proc/thread-self/net/netstat": "proc_net_counters/netstat",
		"/proc/thread-self/net/snmp6": "proc_net_counters/snmp6", "/proc/thread-self/net/stat/nf_conntrack": "proc_net_stat_nf_conntrack.txt",
	} {
		var b []byte
		err := l.clientNS.Do(func() error {
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
