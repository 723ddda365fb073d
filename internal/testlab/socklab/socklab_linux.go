package socklab

import (
	"net/netip"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/sys/unix"
)

// Lab is two namespaces joined by a veth: client 198.18.1.1, server 198.18.1.2.
type Lab struct {
	Client, Server     string
	ClientNS, ServerNS *nsutil.NetNS
}

func New(t *testing.T) *Lab {
	t.Helper()
	testlab.RequireRoot(t)
	l := &Lab{Client: testlab.NewNetNS(t), Server: testlab.NewNetNS(t)}
	testlab.VethPair(t, l.Client, "198.18.1.1/24", l.Server, "198.18.1.2/24")
	var err error
	if l.ClientNS, err = nsutil.Open(testlab.NetNSPath(l.Client)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.ClientNS.Close() })
	if l.ServerNS, err = nsutil.Open(testlab.NetNSPath(l.Server)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.ServerNS.Close() })
	return l
}

// openFD creates a socket in ns and closes it when the test ends.
func openFD(t *testing.T, ns *nsutil.NetNS, domain, typ int) int {
	t.Helper()
	fd, err := ns.Socket(domain, typ, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	}
	return &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}
}

// Listen makes a TCP listener with the given backlog.
func (l *Lab) Listen(t *testing.T, ns *nsutil.NetNS, ap netip.AddrPort, backlog int) int {
	t.Helper()
	domain := unix.AF_INET
	if ap.Addr().Is6() {
		domain = unix.AF_INET6
	}
	fd := openFD(t, ns, domain, unix.SOCK_STREAM)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, sockaddr(ap)); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		t.Fatal(err)
	}
	return fd
}

// Connect makes a TCP connection that the server does not accept, so it
// waits in the listener's accept queue.
func (l *Lab) Connect(t *testing.T, ns *nsutil.NetNS, to netip.AddrPort) int {
	t.Helper()
	fd := openFD(t, ns, unix.AF_INET, unix.SOCK_STREAM)
	tv := unix.NsecToTimeval((5 * time.Second).Nanoseconds())
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	if err := unix.Connect(fd, sockaddr(to)); err != nil {
		t.Fatalf("connect %s: %v", to, err)
	}
	return fd
}

// UDP binds a UDP socket and optionally sends one datagram.
func (l *Lab) UDP(t *testing.T, ns *nsutil.NetNS, bind netip.AddrPort, to netip.AddrPort) int {
	t.Helper()
	fd := openFD(t, ns, unix.AF_INET, unix.SOCK_DGRAM)
	if err := unix.Bind(fd, sockaddr(bind)); err != nil {
		t.Fatal(err)
	}
	if to.IsValid() {
		if err := unix.Sendto(fd, []byte("netdiag"), 0, sockaddr(to)); err != nil {
			t.Fatal(err)
		}
	}
	return fd
}

// AddrPort parses s and panics when it is not an address and port.
func AddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// ConnectNB starts a TCP connection without waiting for it to complete.
func (l *Lab) ConnectNB(t *testing.T, ns *nsutil.NetNS, to netip.AddrPort) int {
	t.Helper()
	fd := openFD(t, ns, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK)
	if err := unix.Connect(fd, sockaddr(to)); err != nil && err != unix.EINPROGRESS {
		t.Fatalf("connect %s: %v", to, err)
	}
	return fd
}
