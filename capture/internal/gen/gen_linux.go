package gen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

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

func ifrPtr(ifr *unix.Ifreq) unsafe.Pointer { return unsafe.Pointer(ifr) }
