package dropmon

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// perfReader reads skb:kfree_skb through one perf event and ring per CPU.
// Each event belongs to its file descriptor: closing it, or the process
// ending in any way, removes it from the kernel.
type perfReader struct {
	format *Format
	rings  []*perfRing
	epfd   int
	events []unix.EpollEvent
}

// perfRing is the memory-mapped ring of one CPU's event (perf_event_open(2),
// "MMAP layout").
type perfRing struct {
	fd   int
	mem  []byte
	meta *unix.PerfEventMmapPage
	data []byte
	buf  []byte // a record that wraps around the end is copied here
}

// defaultRingPages is the data size per CPU in pages: 512 KiB with 4 KiB
// pages, about 9,300 records, as perf record's default; a power of two as
// perf requires.
const defaultRingPages = 128

// openPerf opens the tracepoint on every online CPU. filter, when not
// empty, is an ftrace filter the kernel applies before a record is written
// ("reason == 12 || reason == 16").
func openPerf(f *Format, filter string, pages int) (*perfReader, error) {
	if pages <= 0 {
		pages = defaultRingPages
	}
	if pages&(pages-1) != 0 {
		return nil, fmt.Errorf("ring of %d pages: must be a power of two", pages)
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return nil, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	r := &perfReader{format: f, epfd: epfd}
	pageSize := os.Getpagesize()
	for _, cpu := range cpus {
		ring, err := openRing(f.ID, cpu, pages, pageSize, filter)
		if errors.Is(err, unix.ENODEV) {
			continue // went offline since it was listed
		}
		if err != nil {
			r.close()
			return nil, err
		}
		r.rings = append(r.rings, ring)
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(ring.fd)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, ring.fd, &ev); err != nil {
			r.close()
			return nil, fmt.Errorf("epoll_ctl: %w", err)
		}
	}
	if len(r.rings) == 0 {
		r.close()
		return nil, errors.New("no online CPU accepted the tracepoint")
	}
	for _, ring := range r.rings {
		if err := unix.IoctlSetInt(ring.fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
			r.close()
			return nil, fmt.Errorf("enable perf event: %w", err)
		}
	}
	r.events = make([]unix.EpollEvent, len(r.rings))
	return r, nil
}

func openRing(id uint32, cpu, pages, pageSize int, filter string) (*perfRing, error) {
	dataSize := pages * pageSize
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_TRACEPOINT,
		Config:      uint64(id),
		Sample:      1, // every event
		Sample_type: unix.PERF_SAMPLE_RAW,
		// Disabled until the ring is mapped; wake the reader when a
		// quarter of the ring is used, not on every record.
		Bits:   unix.PerfBitDisabled | unix.PerfBitWatermark,
		Wakeup: uint32(dataSize / 4),
	}
	attr.Size = uint32(unsafe.Sizeof(attr))
	fd, err := unix.PerfEventOpen(&attr, -1, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		switch {
		case errors.Is(err, unix.ENODEV):
			return nil, err
		case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
			return nil, fmt.Errorf("perf_event_open skb:kfree_skb on CPU %d: %w: needs CAP_PERFMON or CAP_SYS_ADMIN (kernel.perf_event_paranoid): run as root", cpu, err)
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EINVAL):
			return nil, fmt.Errorf("%w: perf_event_open skb:kfree_skb (id %d) on CPU %d: %v", ErrNotSupported, id, cpu, err)
		}
		return nil, fmt.Errorf("perf_event_open skb:kfree_skb on CPU %d: %w", cpu, err)
	}
	ring := &perfRing{fd: fd}
	if filter != "" {
		if err := setFilter(fd, filter); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	mem, err := unix.Mmap(fd, 0, pageSize+dataSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mmap perf ring of CPU %d: %w", cpu, err)
	}
	ring.mem = mem
	ring.meta = (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))
	off, size := int(ring.meta.Data_offset), int(ring.meta.Data_size)
	if off == 0 || size == 0 { // kernels before 4.1 leave these 0
		off, size = pageSize, dataSize
	}
	if off+size > len(mem) {
		ring.close()
		return nil, fmt.Errorf("perf ring of CPU %d: data at %d+%d beyond the %d mapped bytes", cpu, off, size, len(mem))
	}
	ring.data = mem[off : off+size]
	return ring, nil
}

// setFilter sets an ftrace filter on the event (PERF_EVENT_IOC_SET_FILTER).
func setFilter(fd int, filter string) error {
	p, err := unix.BytePtrFromString(filter)
	if err != nil {
		return err
	}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(unix.PERF_EVENT_IOC_SET_FILTER), uintptr(unsafe.Pointer(p)))
	runtime.KeepAlive(p)
	if errno != 0 {
		return fmt.Errorf("set tracepoint filter %q: %w", filter, errno)
	}
	return nil
}

// poll waits at most timeout for a ring to pass its watermark, then reads
// every ring. fn sees each record's raw tracepoint data.
func (r *perfReader) poll(timeout time.Duration, fn func(raw []byte)) (lost uint64, err error) {
	ms := int(timeout / time.Millisecond)
	if _, err := unix.EpollWait(r.epfd, r.events, ms); err != nil && !errors.Is(err, unix.EINTR) {
		return 0, fmt.Errorf("epoll_wait: %w", err)
	}
	for _, ring := range r.rings {
		l, err := ring.drain(fn)
		lost += l
		if err != nil {
			return lost, err
		}
	}
	return lost, nil
}

// drain reads every record between the kernel's head and our tail, then
// hands the space back.
func (ring *perfRing) drain(fn func(raw []byte)) (lost uint64, err error) {
	head := atomic.LoadUint64(&ring.meta.Data_head)
	tail := atomic.LoadUint64(&ring.meta.Data_tail)
	for tail < head {
		rec := ring.record(tail, head-tail)
		if rec == nil {
			err = fmt.Errorf("corrupt perf ring: record at %d of %d bytes left", tail, head-tail)
			tail = head
			break
		}
		tail += uint64(len(rec))
		pr, perr := parsePerfRecord(rec)
		switch {
		case perr != nil:
			err = perr
		case pr.typ == perfRecordSample:
			fn(pr.raw)
		case pr.typ == perfRecordLost:
			lost += pr.lost
		}
	}
	atomic.StoreUint64(&ring.meta.Data_tail, tail)
	return lost, err
}

// record returns the whole record at position pos, copied when it wraps
// around the end of the ring; nil when its size is impossible.
func (ring *perfRing) record(pos, avail uint64) []byte {
	size := uint64(len(ring.data))
	if avail < perfHeaderSize {
		return nil
	}
	var hdr [perfHeaderSize]byte
	ring.copyOut(hdr[:], pos)
	n := uint64(binary.NativeEndian.Uint16(hdr[6:]))
	if n < perfHeaderSize || n > avail || n > size {
		return nil
	}
	off := pos % size
	if off+n <= size {
		return ring.data[off : off+n]
	}
	if uint64(cap(ring.buf)) < n {
		ring.buf = make([]byte, n)
	}
	ring.buf = ring.buf[:n]
	ring.copyOut(ring.buf, pos)
	return ring.buf
}

func (ring *perfRing) copyOut(dst []byte, pos uint64) {
	size := uint64(len(ring.data))
	off := pos % size
	n := copy(dst, ring.data[off:])
	if n < len(dst) {
		copy(dst[n:], ring.data)
	}
}

func (ring *perfRing) close() {
	if ring.mem != nil {
		_ = unix.Munmap(ring.mem)
		ring.mem, ring.data, ring.meta = nil, nil, nil
	}
	if ring.fd >= 0 {
		_ = unix.Close(ring.fd)
		ring.fd = -1
	}
}

func (r *perfReader) close() {
	for _, ring := range r.rings {
		ring.close()
	}
	r.rings = nil
	if r.epfd >= 0 {
		_ = unix.Close(r.epfd)
		r.epfd = -1
	}
}

// onlineCPUs reads /sys/devices/system/cpu/online ("0-3,6").
func onlineCPUs() ([]int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil, fmt.Errorf("read online CPUs: %w", err)
	}
	return parseCPUList(strings.TrimSpace(string(b)))
}

func parseCPUList(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("CPU list %q: bad %q", s, part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 1<<16 {
				return nil, fmt.Errorf("CPU list %q: bad %q", s, part)
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("CPU list %q is empty", s)
	}
	return out, nil
}
