package kmsg

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netdiag/netdiag/internal/hostfile"
)

// Scan reads every record in the ring buffer that is younger than window
// (0: all) and counts the network failure lines by kind, in order of first
// appearance. It never blocks: reading stops at the end of the buffer.
func Scan(path string, window time.Duration) ([]Event, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return scan(f, bootTime(), time.Now(), window)
}

// Records calls fn with every record in the kernel log at path (normally
// /dev/kmsg) that is younger than window (0: all), oldest first. It never
// blocks: reading stops at the end of the buffer.
func Records(path string, window time.Duration, fn func(Record)) error {
	f, err := Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return Each(f, inWindow(bootTime(), time.Now(), window, func(rec Record, _ time.Time) { fn(rec) }))
}

// Open opens the kernel log at path (normally /dev/kmsg) for reading
// without blocking: each Read returns one record, read(2) is retried on
// EINTR, and the end of the buffer is EAGAIN (see Each). Reading needs
// CAP_SYSLOG when kernel.dmesg_restrict is set.
func Open(path string) (io.ReadCloser, error) {
	// A raw fd: an *os.File would park in the poller on EAGAIN instead of
	// returning at the end of the buffer.
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("read kernel log %s: %w: needs CAP_SYSLOG: run as root", path, err)
		}
		return nil, fmt.Errorf("read kernel log %s: %w", path, err)
	}
	return rawReader(fd), nil
}

type rawReader int

func (r rawReader) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(r), b)
		if err == syscall.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		if n == 0 && err == nil {
			return 0, io.EOF
		}
		return n, err
	}
}

func (r rawReader) Close() error { return syscall.Close(int(r)) }

// bootTime is the wall-clock time of boot, from CLOCK_MONOTONIC's offset.
func bootTime() time.Time {
	if b, err := hostfile.ReadFile("/proc/uptime", 4<<10); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if up, err := strconv.ParseFloat(f[0], 64); err == nil {
				return time.Now().Add(-time.Duration(up * float64(time.Second)))
			}
		}
	}
	return time.Now()
}

// ReadNetworkLines reads the kernel log at path (normally /dev/kmsg)
// without blocking and returns the last keep network-related lines and how
// many it saw (see NetworkLines).
func ReadNetworkLines(path string, keep int) ([]string, int, error) {
	f, err := Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return NetworkLines(f, keep)
}
