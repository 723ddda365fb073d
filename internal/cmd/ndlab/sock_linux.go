package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func sockaddr(s string) (*unix.SockaddrInet4, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil, err
	}
	if !ap.Addr().Is4() {
		return nil, errors.New(s + ": IPv4 only")
	}
	return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}, nil
}

// listen listens on a TCP port with the given backlog (the kernel caps it at
// net.core.somaxconn) and never accepts, so connections pile up in the
// accept queue; it exits on SIGTERM.
func listen(fs *flag.FlagSet, args []string) error {
	addr := fs.String("addr", "", "IP:PORT")
	backlog := fs.Int("backlog", 1, "listen(2) backlog")
	fs.Parse(args)
	sa, err := sockaddr(*addr)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("bind %s: %w", *addr, err)
	}
	if err := unix.Listen(fd, *backlog); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	return nil
}

// connect opens --count TCP connections at once, each given --timeout, and
// reports how many completed; it closes them all before returning.
func connect(fs *flag.FlagSet, args []string) error {
	count := fs.Int("count", 1, "connections")
	timeout := fs.Duration("timeout", time.Second, "per connection")
	src := fs.String("src", "", "source IP")
	fs.Parse(args)
	if fs.NArg() != 1 || *count < 1 || *count > 1000 {
		return errors.New("usage: connect --count 1..1000 [--timeout D] [--src IP] IP:PORT")
	}
	d := net.Dialer{Timeout: *timeout}
	if *src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(*src)}
	}
	var mu sync.Mutex
	ok, failed := 0, 0
	var conns []net.Conn
	var wg sync.WaitGroup
	for i := 0; i < *count; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := d.Dial("tcp", fs.Arg(0))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			ok++
			conns = append(conns, c)
		}()
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
	fmt.Printf("%d connected, %d failed\n", ok, failed)
	return nil
}

// udpSend sends one small datagram every 1/--rate seconds from --src to
// --dst for --duration.
func udpSend(fs *flag.FlagSet, args []string) error {
	src := fs.String("src", "", "source IP")
	dst := fs.String("dst", "", "IP:PORT")
	rate := fs.Int("rate", 10, "datagrams per second (1..1000)")
	duration := fs.Duration("duration", 10*time.Second, "stop after this long (at most 1h)")
	fs.Parse(args)
	if *rate < 1 || *rate > 1000 || *duration > time.Hour {
		return errors.New("--rate must be 1..1000 and --duration at most 1h")
	}
	to, err := sockaddr(*dst)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if *src != "" {
		from, err := sockaddr(*src + ":0")
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, from); err != nil {
			return fmt.Errorf("bind %s: %w", *src, err)
		}
	}
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	defer tick.Stop()
	end := time.After(*duration)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	for {
		select {
		case <-end:
			return nil
		case <-sig:
			return nil
		case <-tick.C:
			unix.Sendto(fd, []byte("netdiag-lab"), 0, to)
		}
	}
}
