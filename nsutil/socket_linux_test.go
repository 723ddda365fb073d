package nsutil_test

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
)

// testAddr returns a random address in 198.18.0.0/15.
func testAddr(t *testing.T) netip.Addr {
	t.Helper()
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return netip.AddrFrom4([4]byte{198, 18 + b[0]&1, b[1], b[2] | 1})
}

func bindUDP(fd int, a netip.Addr) error {
	return unix.Bind(fd, &unix.SockaddrInet4{Addr: a.As4()})
}

func TestSocket(t *testing.T) {
	name := testlab.NewNetNS(t)
	addr := testAddr(t)
	testlab.Run(t, "ip", "-n", name, "addr", "add", addr.String()+"/32", "dev", "lo")
	ns := mustOpen(t, testlab.NetNSPath(name))

	fd, err := ns.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("socket is not close-on-exec")
	}
	// Bind from a different goroutine than the one that created it: the socket
	// carries its netns, the address exists only there.
	errc := make(chan error)
	go func() { errc <- bindUDP(fd, addr) }()
	if err := <-errc; err != nil {
		t.Errorf("bind %s on a socket made in the test netns: %v", addr, err)
	}

	host, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(host)
	if err := bindUDP(host, addr); !errors.Is(err, unix.EADDRNOTAVAIL) {
		t.Errorf("bind %s on a host socket = %v, want EADDRNOTAVAIL", addr, err)
	}
}

func TestSocketError(t *testing.T) {
	name := testlab.NewNetNS(t)
	ns := mustOpen(t, testlab.NetNSPath(name))
	fd, err := ns.Socket(-1, unix.SOCK_DGRAM, 0)
	if err == nil {
		unix.Close(fd)
		t.Fatalf("Socket(-1, …) succeeded")
	}
	if fd != -1 {
		t.Errorf("Socket returned fd %d with an error", fd)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
