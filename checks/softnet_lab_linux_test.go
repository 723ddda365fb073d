package checks_test

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// tunFlood makes FULL_RING drops in tun_net_xmit inside a netns of the
// test's own: a tun device whose queue netdiag's test holds open and never
// reads, with a 10-packet transmit queue, and UDP sent to the far end of
// it. Only that netns changes. It sends until stop is closed, at most
// 50 bursts of 200 packets.
func tunFlood(t *testing.T, stop <-chan struct{}) *sync.WaitGroup {
	t.Helper()
	name := testlab.NewNetNS(t)
	ns, err := nsutil.Open(testlab.NetNSPath(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	dev := testlab.UniqueName("ndtun")
	var tunFD, udpFD int
	err = ns.Do(func() error {
		// Both are bound to the netns they are made in.
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open /dev/net/tun: %w", err)
		}
		var req [unix.IFNAMSIZ + 64]byte
		copy(req[:], dev)
		*(*uint16)(unsafe.Pointer(&req[unix.IFNAMSIZ])) = unix.IFF_TUN | unix.IFF_NO_PI
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); errno != 0 {
			unix.Close(fd)
			return fmt.Errorf("TUNSETIFF: %w", errno)
		}
		tunFD = fd
		udpFD, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(tunFD); unix.Close(udpFD) })
	testlab.Run(t, "ip", "-n", name, "addr", "add", "198.18.77.1/30", "dev", dev)
	testlab.Run(t, "ip", "-n", name, "link", "set", dev, "txqueuelen", "10", "up")
	to := &unix.SockaddrInet4{Port: 9, Addr: [4]byte(net.ParseIP("198.18.77.2").To4())}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		payload := make([]byte, 32)
		for burst := 0; burst < 50; burst++ {
			select {
			case <-stop:
				return
			default:
			}
			for i := 0; i < 200; i++ {
				_ = unix.Sendto(udpFD, payload, 0, to) // ENOBUFS is the point
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return &wg
}

// TestDoctorSoftnetFullRing: while a tun's ring overflows in a test netns,
// doctor on the host names FULL_RING in tun_net_xmit under softnet-drops.
// Drop reasons and softnet_stat are kernel-wide, so the check runs on the
// host's netns (a lab node's netns is not the host's and leaves it out);
// other load on the machine may add backlog drops, never remove these.
func TestDoctorSoftnetFullRing(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "ip")
	stop := make(chan struct{})
	wg := tunFlood(t, stop)
	defer func() { close(stop); wg.Wait() }()
	var last string
	for try := 0; try < 3; try++ {
		_, r := doctor(t, []string{"--node-netns", "/proc/self/ns/net", "--host-root", t.TempDir()}, "--check", "softnet-drops")
		for _, f := range of(r.Findings, "softnet-drops") {
			got, _ := evidence(f, "dropReasons")
			last = f.Summary + " " + got
			if strings.Contains(f.Summary, "FULL_RING in tun_net_xmit") &&
				strings.Contains(got, `"function":"tun_net_xmit"`) && strings.Contains(got, `"reason":"FULL_RING"`) {
				return
			}
		}
	}
	t.Errorf("no FULL_RING drop in tun_net_xmit under softnet-drops; last: %s", last)
}
