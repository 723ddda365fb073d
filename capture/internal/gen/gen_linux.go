package gen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// Namespace creates sockets inside a network namespace; *nsutil.NetNS is
// one. nil means the caller's netns.
type Namespace interface {
	Socket(domain, typ, proto int) (int, error)
}

// Config is one bounded burst. Count and MaxDuration both bound it; the
// zero MaxDuration means 60 s, so a mistake never floods forever.
type Config struct {
	Interface   string
	Count       int
	PPS         int           // packets per second; 0 = as fast as the socket takes them
	MaxDuration time.Duration // 0 means 60 s
	Size        int           // frame length without FCS; 0 means 64, minimum 60
	SrcMAC      net.HardwareAddr
	DstMAC      net.HardwareAddr // nil means broadcast
	Src, Dst    netip.Addr       // IPv4; zero means 198.18.0.1 → 198.18.0.2
	SrcPort     uint16           // 0 means 40000
	DstPort     uint16           // 0 means 9 (discard)
	VLAN        int              // >0 adds an 802.1Q tag with this VLAN ID
	// QdiscBypass sends with PACKET_QDISC_BYPASS: faster, but packet
	// sockets on the sending interface then do not see the frames.
	QdiscBypass bool
}

// Result reports what was sent.
type Result struct {
	Sent    int
	Elapsed time.Duration
}

// Send transmits the frames; each carries its sequence number (from 0) in the
// first 4 bytes of the UDP payload.
func Send(ns Namespace, cfg Config) (Result, error) {
	if cfg.Count <= 0 {
		return Result{}, errors.New("send: count must be positive")
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = 60 * time.Second
	}
	var fd int
	var err error
	if ns == nil {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	} else {
		fd, err = ns.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	}
	if err != nil {
		return Result{}, fmt.Errorf("send: create packet socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(cfg.Interface)
	if err != nil {
		return Result{}, fmt.Errorf("send: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return Result{}, fmt.Errorf("send: look up %s: %w", cfg.Interface, err)
	}
	idx := int(ifr.Uint32())
	if cfg.SrcMAC == nil {
		ifr, _ = unix.NewIfreq(cfg.Interface)
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err == nil {
			raw := (*[24]byte)(ifrPtr(ifr))
			cfg.SrcMAC = net.HardwareAddr(append([]byte(nil), raw[18:24]...))
		}
	}
	if cfg.QdiscBypass {
		_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: 0, Ifindex: idx}); err != nil {
		return Result{}, fmt.Errorf("send: bind to %s: %w", cfg.Interface, err)
	}
	frame := Frame(cfg, 0)
	start := time.Now()
	deadline := start.Add(cfg.MaxDuration)
	var interval time.Duration
	if cfg.PPS > 0 {
		interval = time.Second / time.Duration(cfg.PPS)
	}
	seqOff := len(frame) - payloadLen(cfg)
	sent := 0
	for sent < cfg.Count {
		if sent&255 == 0 {
			now := time.Now()
			if now.After(deadline) {
				break
			}
			if interval > 0 {
				// Pace in batches of 256 so the clock is read rarely.
				due := start.Add(time.Duration(sent) * interval)
				if d := due.Sub(now); d > 0 {
					time.Sleep(d)
				}
			}
		}
		binary.BigEndian.PutUint32(frame[seqOff:], uint32(sent))
		if _, err := unix.Write(fd, frame); err != nil {
			if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) {
				time.Sleep(50 * time.Microsecond)
				continue
			}
			return Result{Sent: sent, Elapsed: time.Since(start)}, fmt.Errorf("send: write: %w", err)
		}
		sent++
	}
	return Result{Sent: sent, Elapsed: time.Since(start)}, nil
}
