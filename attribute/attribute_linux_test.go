package attribute

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
)

func comm(t *testing.T, pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestAttributeTwoPods: a flow between two "pods" (netns of their own) is
// named by both ends' processes; a flow with no socket, and one whose
// socket closed before its packet was looked at, are "owner unknown".
func TestAttributeTwoPods(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "busybox")
	nsA, nsB := testlab.NewNetNS(t), testlab.NewNetNS(t)
	testlab.VethPair(t, nsA, "198.18.9.1/24", nsB, "198.18.9.2/24")
	server := testlab.StartInNetNS(t, nsA, "busybox", "nc", "-l", "-p", "7001")
	inv := &node.Inventory{Pods: []node.Pod{
		{Namespace: "t", Name: "server", UID: "u-a", IPs: []string{"198.18.9.1"}, NetNS: node.NetNSRef{Path: testlab.NetNSPath(nsA)}},
		{Namespace: "t", Name: "client", UID: "u-b", IPs: []string{"198.18.9.2"}, NetNS: node.NetNSRef{Path: testlab.NetNSPath(nsB)}},
	}}
	b, err := nsutil.Open(testlab.NetNSPath(nsB))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	connect := func(typ int, port int) (int, netip.AddrPort) {
		t.Helper()
		fd, err := b.Socket(unix.AF_INET, typ, 0)
		if err != nil {
			t.Fatal(err)
		}
		var sa unix.Sockaddr
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if err = unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{198, 18, 9, 1}, Port: port}); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatalf("connect to the server: %v", err)
		}
		if sa, err = unix.Getsockname(fd); err != nil {
			t.Fatal(err)
		}
		return fd, netip.AddrPortFrom(netip.AddrFrom4(sa.(*unix.SockaddrInet4).Addr), uint16(sa.(*unix.SockaddrInet4).Port))
	}
	fd, local := connect(unix.SOCK_STREAM, 7001)
	defer unix.Close(fd)

	a := New(inv, nil, nil, "")
	defer a.Close()
	frame := func(proto uint8, src, dst netip.AddrPort) []byte {
		return ipv4(proto, src.Addr().String(), dst.Addr().String(), src.Port(), dst.Port(), 0)
	}
	srv := netip.MustParseAddrPort("198.18.9.1:7001")
	// The server accepts in its own time: wait until its socket is there.
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		a = New(inv, nil, nil, "")
		got, _ = a.Comment(pcapio.LinkTypeRaw, frame(protoTCP, local, srv))
		if !strings.Contains(got, "owner unknown") {
			break
		}
	}
	want := "src pod=t/client pid=" + strconv.Itoa(os.Getpid()) + " comm=" + comm(t, os.Getpid()) +
		"; dst pod=t/server pid=" + strconv.Itoa(server) + " comm=" + comm(t, server)
	if got != want {
		t.Errorf("flow %v → %v:\n got %q\nwant %q", local, srv, got, want)
	}
	// The reply is the same flow, already named.
	if c, first := a.Comment(pcapio.LinkTypeRaw, frame(protoTCP, srv, local)); c != want || first {
		t.Errorf("the reply: %q, first %v; want %q, not first", c, first, want)
	}

	// No socket at either end.
	if c, _ := a.Comment(pcapio.LinkTypeRaw, frame(protoUDP, netip.MustParseAddrPort("198.18.9.2:5555"), netip.MustParseAddrPort("198.18.9.1:9999"))); c != "src pod=t/client owner unknown; dst pod=t/server owner unknown" {
		t.Errorf("a flow with no socket: %q", c)
	}

	// A socket closed before its flow's first packet is looked at: it was
	// there (and named) a moment before.
	fd2, local2 := connect(unix.SOCK_DGRAM, 9998)
	peer2 := netip.MustParseAddrPort("198.18.9.1:9998")
	if c, _ := New(inv, nil, nil, "").Comment(pcapio.LinkTypeRaw, frame(protoUDP, local2, peer2)); !strings.HasPrefix(c, "src pod=t/client pid=") {
		t.Errorf("the open UDP socket: %q", c)
	}
	unix.Close(fd2)
	time.Sleep(10 * time.Millisecond)
	c, _ := a.Comment(pcapio.LinkTypeRaw, frame(protoUDP, local2, peer2))
	if c != "src pod=t/client owner unknown; dst pod=t/server owner unknown" {
		t.Errorf("a flow whose socket closed: %q, want the client's end unknown", c)
	}
}
