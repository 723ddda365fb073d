package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// answerA is the address every A query gets.
var answerA = [4]byte{198, 18, 200, 10}

// dnsServer answers every A query with answerA and every other type with
// an empty NOERROR, over UDP and TCP, after --delay.
func dnsServer(fs *flag.FlagSet, args []string) error {
	addr := fs.String("addr", "", "IP:PORT to serve on")
	delay := fs.Duration("delay", 0, "wait this long before each answer")
	fs.Parse(args)
	pc, err := net.ListenPacket("udp", *addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveTCP(c, *delay)
		}
	}()
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		os.Exit(0)
	}()
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		q := append([]byte(nil), buf[:n]...)
		go func() {
			time.Sleep(*delay)
			if r := answer(q); r != nil {
				pc.WriteTo(r, from)
			}
		}()
	}
}

func serveTCP(c net.Conn, delay time.Duration) {
	defer c.Close()
	for {
		c.SetDeadline(time.Now().Add(10*time.Second + delay))
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		time.Sleep(delay)
		r := answer(q)
		if r == nil {
			return
		}
		c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(r))), r...))
	}
}

// answer builds the reply to one query, nil for what is not a query.
func answer(q []byte) []byte {
	if len(q) < 12 || q[2]&0x80 != 0 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	// Skip the question's name to find QTYPE.
	i := 12
	for i < len(q) && q[i] != 0 {
		if q[i]&0xc0 != 0 {
			return nil
		}
		i += int(q[i]) + 1
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	end := i + 5
	r := append([]byte(nil), q[:end]...)
	r[2] = 0x80 | q[2]&0x79 // QR, keep opcode and RD
	r[3] = 0x80             // RA, NOERROR
	binary.BigEndian.PutUint16(r[6:], 0)
	binary.BigEndian.PutUint16(r[8:], 0)
	binary.BigEndian.PutUint16(r[10:], 0)
	if qtype == 1 {
		binary.BigEndian.PutUint16(r[6:], 1)
		r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4)
		r = append(r, answerA[:]...)
	}
	return r
}

// query is a DNS query for name and qtype with the given id.
func query(id uint16, name string, qtype uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0)
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			if i > start {
				b = append(b, byte(i-start))
				b = append(b, name[start:i]...)
			}
			start = i + 1
		}
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, qtype)
	return binary.BigEndian.AppendUint16(b, 1)
}

// dnsRace sends an A and an AAAA query from one UDP socket at the same
// instant from two threads pinned to different CPUs, as glibc does with
// sendmmsg, a new socket (source port) each round, so that both packets'
// conntrack entries race to be confirmed in the node netns. It stops after
// --duration or --rounds.
func dnsRace(fs *flag.FlagSet, args []string) error {
	server := fs.String("server", "", "IP:PORT of the DNS service")
	duration := fs.Duration("duration", 10*time.Second, "stop after this long")
	rounds := fs.Int("rounds", 200000, "stop after this many rounds")
	rate := fs.Int("rate", 1000, "rounds per second at most")
	fs.Parse(args)
	if runtime.NumCPU() < 2 {
		return errors.New("needs two CPUs: the race is between two CPUs confirming the same tuple")
	}
	to, err := net.ResolveUDPAddr("udp", *server)
	if err != nil {
		return err
	}
	sa := &unix.SockaddrInet4{Port: to.Port}
	copy(sa.Addr[:], to.IP.To4())
	qa := query(1, "web.default.svc.cluster.local", 1)
	qaaaa := query(2, "web.default.svc.cluster.local", 28)

	type job struct {
		fd int
		wg *sync.WaitGroup
	}
	var go1, go2 atomic.Int64
	var sendErr atomic.Value
	sender := func(cpu int, q []byte, flag *atomic.Int64, jobs <-chan job) {
		runtime.LockOSThread()
		var set unix.CPUSet
		set.Set(cpu)
		unix.SchedSetaffinity(0, &set)
		for j := range jobs {
			for flag.Load() == 0 { // spin: both threads leave the barrier together
			}
			if err := unix.Send(j.fd, q, 0); err != nil {
				sendErr.Store(err)
			}
			flag.Store(0)
			j.wg.Done()
		}
	}
	j1, j2 := make(chan job), make(chan job)
	go sender(0, qa, &go1, j1)
	go sender(1, qaaaa, &go2, j2)

	deadline := time.Now().Add(*duration)
	tick := time.NewTicker(time.Second / time.Duration(max(*rate, 1)))
	defer tick.Stop()
	n := 0
	for ; n < *rounds && time.Now().Before(deadline); n++ {
		<-tick.C
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if err := unix.Connect(fd, sa); err != nil {
			unix.Close(fd)
			return err
		}
		var wg sync.WaitGroup
		wg.Add(2)
		j1 <- job{fd, &wg}
		j2 <- job{fd, &wg}
		go1.Store(1)
		go2.Store(1)
		wg.Wait()
		unix.Close(fd)
	}
	close(j1)
	close(j2)
	if err, ok := sendErr.Load().(error); ok {
		fmt.Fprintf(os.Stderr, "ndlab dns-race: a send failed: %v\n", err)
	}
	fmt.Printf("%d rounds\n", n)
	return nil
}

// synRace sends the same TCP SYN (one raw packet, --src to --dst, a new
// source port each round) from two threads pinned to different CPUs at the
// same instant. Both copies reach the node netns's conntrack at once; TCP
// does not allow clashes, so the loser is dropped and counted in
// insert_failed. Kernels since 5.x resolve the UDP A/AAAA clash instead
// (clash_resolve), which dns-race shows.
func synRace(fs *flag.FlagSet, args []string) error {
	src := fs.String("src", "", "source IP (the pod's)")
	dst := fs.String("dst", "", "IP:PORT (a service VIP)")
	duration := fs.Duration("duration", 10*time.Second, "stop after this long")
	rounds := fs.Int("rounds", 200000, "stop after this many rounds")
	rate := fs.Int("rate", 500, "rounds per second at most")
	fs.Parse(args)
	if runtime.NumCPU() < 2 {
		return errors.New("needs two CPUs: the race is between two CPUs confirming the same tuple")
	}
	from, err := sockaddr(*src + ":0")
	if err != nil {
		return err
	}
	to, err := sockaddr(*dst)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return fmt.Errorf("raw socket: %w", err)
	}
	defer unix.Close(fd)

	type job struct {
		pkt []byte
		wg  *sync.WaitGroup
	}
	var sendErr atomic.Value
	sender := func(cpu int, flag *atomic.Int64, jobs <-chan job) {
		runtime.LockOSThread()
		var set unix.CPUSet
		set.Set(cpu)
		unix.SchedSetaffinity(0, &set)
		for j := range jobs {
			for flag.Load() == 0 {
			}
			if err := unix.Sendto(fd, j.pkt, 0, to); err != nil {
				sendErr.Store(err)
			}
			flag.Store(0)
			j.wg.Done()
		}
	}
	var f1, f2 atomic.Int64
	j1, j2 := make(chan job), make(chan job)
	go sender(0, &f1, j1)
	go sender(1, &f2, j2)
	deadline := time.Now().Add(*duration)
	tick := time.NewTicker(time.Second / time.Duration(max(*rate, 1)))
	defer tick.Stop()
	n := 0
	for ; n < *rounds && time.Now().Before(deadline); n++ {
		<-tick.C
		pkt := synPacket(from.Addr, to.Addr, uint16(20000+n%40000), uint16(to.Port), uint32(n)*7919)
		var wg sync.WaitGroup
		wg.Add(2)
		j1 <- job{pkt, &wg}
		j2 <- job{pkt, &wg}
		f1.Store(1)
		f2.Store(1)
		wg.Wait()
	}
	close(j1)
	close(j2)
	if err, ok := sendErr.Load().(error); ok {
		fmt.Fprintf(os.Stderr, "ndlab syn-race: a send failed: %v\n", err)
	}
	fmt.Printf("%d rounds\n", n)
	return nil
}

// synPacket is an IPv4 TCP SYN with correct checksums.
func synPacket(src, dst [4]byte, sport, dport uint16, seq uint32) []byte {
	b := make([]byte, 40)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], 40)
	b[6] = 0x40 // DF
	b[8] = 64
	b[9] = unix.IPPROTO_TCP
	copy(b[12:], src[:])
	copy(b[16:], dst[:])
	binary.BigEndian.PutUint16(b[10:], checksum(b[:20], 0))
	t := b[20:]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	t[12] = 5 << 4
	t[13] = 0x02 // SYN
	binary.BigEndian.PutUint16(t[14:], 64240)
	var pseudo uint32
	for i := 0; i < 4; i += 2 {
		pseudo += uint32(binary.BigEndian.Uint16(src[i:])) + uint32(binary.BigEndian.Uint16(dst[i:]))
	}
	pseudo += unix.IPPROTO_TCP + 20
	binary.BigEndian.PutUint16(t[16:], checksum(t, pseudo))
	return b
}

func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
