package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
	"golang.org/x/sys/unix"
)

// DefaultMinFree is the free space a target directory must keep (--min-free).
const DefaultMinFree = 100 << 20

// FileConfig describes where and how packets are written, with tcpdump's
// -w, -U, -C, -W and -G semantics.
type FileConfig struct {
	// Path is the file (-w); "-" writes to Stdout. With RotateEvery it is a
	// strftime(3) pattern.
	Path   string
	Stdout io.Writer
	// PcapNG writes pcapng with one interface per entry of Interfaces;
	// otherwise pcap with the link type and snaplen of Interfaces[0].
	PcapNG     bool
	Nano       bool
	Interfaces []pcapio.Interface
	// Application is written as the pcapng shb_userappl.
	Application string
	// FlushEach flushes after every packet (tcpdump -U).
	FlushEach bool
	// RotateSize starts a new file before a packet when the current one is
	// larger than this many bytes (tcpdump -C); 0 never.
	RotateSize int64
	// Files is tcpdump's -W: with RotateSize the names cycle through this
	// many files; with only RotateEvery the capture stops after this many.
	Files int
	// RotateEvery starts a new file on the first packet at least this long
	// after the current file was opened (tcpdump -G).
	RotateEvery time.Duration
	// MinFree is the free space in bytes the target directory must keep; it
	// is checked before each new file and every 16 MiB. 0 disables.
	MinFree uint64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Output is the sink of a capture: one pcap or pcapng stream, rotated as
// configured. Not safe for concurrent use.
type Output struct {
	cfg     FileConfig
	w       bufferedWriter
	pcapng  *pcapio.PcapngWriter
	f       *os.File
	cw      countingWriter
	cur     string
	files   []string
	cCount  int // tcpdump's Cflag_count
	gCount  int // tcpdump's Gflag_count
	gTime   time.Time
	chars   int // tcpdump's WflagChars
	checked int64
	// fast is the pcap record buffer: pcap packets bypass pcapio's writer
	// (which writes the file header) so a packet costs one copy into it.
	fast     []byte
	fastSnap int
}

// fastBufSize: at 300k 64-byte packets/s, one write(2) per ~3000 packets.
const fastBufSize = 256 << 10

type bufferedWriter interface {
	pcapio.Writer
	Buffered() int
}

// countingWriter counts bytes that reached the file.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// NewOutput validates the configuration, checks free space and creates the
// first file.
func NewOutput(cfg FileConfig) (*Output, error) {
	if len(cfg.Interfaces) == 0 {
		return nil, fmt.Errorf("create output: no interfaces")
	}
	if !cfg.PcapNG && len(cfg.Interfaces) > 1 {
		return nil, fmt.Errorf("create output: %d interfaces need pcapng (--pcapng)", len(cfg.Interfaces))
	}
	if cfg.Path == "" {
		return nil, fmt.Errorf("create output: no file name")
	}
	if cfg.Path == "-" && (cfg.RotateSize > 0 || cfg.RotateEvery > 0) {
		return nil, fmt.Errorf("create output: -C and -G need a file name, not -")
	}
	if cfg.Files < 0 {
		return nil, fmt.Errorf("create output: -W must be positive")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	o := &Output{cfg: cfg}
	if cfg.Files > 0 {
		o.chars = widthOf(cfg.Files)
	}
	o.gTime = cfg.Now()
	name, err := o.makeName(0, o.nameChars())
	if err != nil {
		return nil, err
	}
	if err := o.open(name); err != nil {
		return nil, err
	}
	return o, nil
}

// widthOf is tcpdump's getWflagChars: the digits of n-1.
func widthOf(n int) int {
	c := 0
	for n--; n > 0; n /= 10 {
		c++
	}
	return c
}

// nameChars: numbering is used only with -C, as tcpdump does.
func (o *Output) nameChars() int {
	if o.cfg.RotateSize > 0 {
		return o.chars
	}
	return 0
}

// makeName is tcpdump's MakeFilename: strftime when -G, then the count
// appended zero-padded to chars digits unless both are 0.
func (o *Output) makeName(cnt, chars int) (string, error) {
	name := o.cfg.Path
	if o.cfg.RotateEvery > 0 {
		name = Strftime(o.cfg.Path, o.gTime)
		if name == "" {
			return "", fmt.Errorf("create output: file name pattern %q is empty after strftime", o.cfg.Path)
		}
	}
	if cnt == 0 && chars == 0 {
		return name, nil
	}
	s := strconv.Itoa(cnt)
	for len(s) < chars {
		s = "0" + s
	}
	return name + s, nil
}

func (o *Output) open(name string) error {
	var dst io.Writer
	if name == "-" {
		if o.cfg.Stdout == nil {
			return fmt.Errorf("create output: no standard output")
		}
		dst = o.cfg.Stdout
	} else {
		if err := checkFree(filepath.Dir(name), o.cfg.MinFree); err != nil {
			return err
		}
		f, err := CreateFile(name)
		if err != nil {
			return err
		}
		o.f = f
		dst = f
	}
	o.cw = countingWriter{w: dst}
	o.checked = 0
	var err error
	if o.cfg.PcapNG {
		opts := []pcapio.PcapngOption{pcapio.WithOS("Linux")}
		if o.cfg.Application != "" {
			opts = append(opts, pcapio.WithApplication(o.cfg.Application))
		}
		ifaces := make([]pcapio.Interface, len(o.cfg.Interfaces))
		for i, ifc := range o.cfg.Interfaces {
			ifc.TsResolNano = o.cfg.Nano
			ifaces[i] = ifc
		}
		o.pcapng, err = pcapio.NewPcapngWriter(&o.cw, ifaces, opts...)
		o.w = o.pcapng
	} else {
		ifc := o.cfg.Interfaces[0]
		o.w, err = pcapio.NewPcapWriter(&o.cw, ifc.LinkType, ifc.SnapLen, o.cfg.Nano)
		o.fastSnap = int(ifc.SnapLen)
		if o.fastSnap == 0 {
			o.fastSnap = DefaultSnapLen
		}
		if o.fast == nil {
			o.fast = make([]byte, 0, fastBufSize)
		}
	}
	if err != nil {
		o.closeFile()
		return fmt.Errorf("create output %s: %w", name, err)
	}
	if err := o.w.Flush(); err != nil {
		// The header reaches the file at once, so even an empty capture is readable.
		o.closeFile()
		return fmt.Errorf("create output %s: %w", name, err)
	}
	o.cur = name
	o.files = append(o.files, name)
	return nil
}

// flushFast writes the pcap record buffer.
func (o *Output) flushFast() error {
	if len(o.fast) == 0 {
		return nil
	}
	_, err := o.cw.Write(o.fast)
	o.fast = o.fast[:0]
	if err != nil {
		return fmt.Errorf("write %s: %w", o.cur, err)
	}
	return nil
}

func (o *Output) closeFile() error {
	var err error
	if o.w != nil {
		err = o.w.Flush()
		if e := o.flushFast(); e != nil && err == nil {
			err = e
		}
	}
	if o.f != nil {
		if e := o.f.Close(); e != nil && err == nil {
			err = fmt.Errorf("close %s: %w", o.f.Name(), e)
		}
		o.f = nil
	}
	o.w, o.pcapng = nil, nil
	return err
}

// size is tcpdump's pcap_dump_ftell: bytes written, buffered ones included.
func (o *Output) size() int64 { return o.cw.n + int64(o.w.Buffered()) + int64(len(o.fast)) }

// Write appends one packet, rotating first when due. It returns
// ErrFileLimitReached when -G with -W has made its last file, and
// ErrLowDiskSpace when the directory runs short of free space.
func (o *Output) Write(pi *PacketInfo, data []byte) error {
	if o.w == nil {
		return fmt.Errorf("write packet: output closed")
	}
	if o.cfg.RotateEvery > 0 {
		now := o.cfg.Now()
		if now.Sub(o.gTime) >= o.cfg.RotateEvery {
			o.gTime = now
			o.gCount++
			if err := o.closeFile(); err != nil {
				return err
			}
			if o.cfg.RotateSize == 0 && o.cfg.Files > 0 && o.gCount >= o.cfg.Files {
				return fmt.Errorf("%w: %d", ErrFileLimitReached, o.cfg.Files)
			}
			o.cCount = 0
			name, err := o.makeName(0, o.nameChars())
			if err != nil {
				return err
			}
			if err := o.open(name); err != nil {
				return err
			}
		}
	}
	if o.cfg.RotateSize > 0 && o.size() > o.cfg.RotateSize {
		if err := o.closeFile(); err != nil {
			return err
		}
		o.cCount++
		if o.cfg.Files > 0 && o.cCount >= o.cfg.Files {
			o.cCount = 0
		}
		name, err := o.makeName(o.cCount, o.chars)
		if err != nil {
			return err
		}
		if err := o.open(name); err != nil {
			return err
		}
	}
	if o.pcapng == nil {
		if err := o.writeFast(pi, data); err != nil {
			return err
		}
	} else if err := o.writeNG(pi, data); err != nil {
		return err
	}
	if o.f != nil && o.cfg.MinFree > 0 && o.cw.n-o.checked > 16<<20 {
		o.checked = o.cw.n
		if err := checkFree(filepath.Dir(o.cur), o.cfg.MinFree); err != nil {
			return err
		}
	}
	return nil
}

// writeFast appends a pcap record (pcap-savefile(5), little endian) to the
// buffer.
func (o *Output) writeFast(pi *PacketInfo, data []byte) error {
	if len(data) > o.fastSnap {
		data = data[:o.fastSnap]
	}
	wire := pi.Length
	if wire < len(data) {
		wire = len(data)
	}
	sec, frac := pi.sec, pi.nsec
	if !pi.raw {
		sec, frac = uint32(pi.Timestamp.Unix()), uint32(pi.Timestamp.Nanosecond())
	}
	if !o.cfg.Nano {
		frac /= 1000
	}
	if len(o.fast)+16+len(data) > cap(o.fast) {
		if err := o.flushFast(); err != nil {
			return err
		}
	}
	n := len(o.fast)
	if 16+len(data) > cap(o.fast)-n {
		// A record larger than the buffer goes straight to the file.
		var h [16]byte
		binary.LittleEndian.PutUint32(h[0:], sec)
		binary.LittleEndian.PutUint32(h[4:], frac)
		binary.LittleEndian.PutUint32(h[8:], uint32(len(data)))
		binary.LittleEndian.PutUint32(h[12:], uint32(wire))
		if _, err := o.cw.Write(h[:]); err != nil {
			return fmt.Errorf("write %s: %w", o.cur, err)
		}
		if _, err := o.cw.Write(data); err != nil {
			return fmt.Errorf("write %s: %w", o.cur, err)
		}
		return nil
	}
	b := o.fast[n : n+16+len(data)]
	binary.LittleEndian.PutUint32(b[0:], sec)
	binary.LittleEndian.PutUint32(b[4:], frac)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[12:], uint32(wire))
	copy(b[16:], data)
	o.fast = o.fast[:n+16+len(data)]
	if o.cfg.FlushEach {
		return o.flushFast()
	}
	return nil
}

func (o *Output) writeNG(pi *PacketInfo, data []byte) error {
	p := pcapio.Packet{Timestamp: pi.Timestamp, CaptureLen: len(data), OrigLen: pi.Length, Data: data, InterfaceIndex: pi.Source}
	if o.pcapng != nil {
		switch pi.PacketType {
		case 4:
			p.Flags = pcapio.FlagOutbound
		default:
			p.Flags = pcapio.FlagInbound
		}
	}
	if err := o.w.WritePacket(p); err != nil {
		return fmt.Errorf("write %s: %w", o.cur, err)
	}
	if o.cfg.FlushEach {
		if err := o.w.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", o.cur, err)
		}
	}
	return nil
}

// Flush writes buffered packets to the file.
func (o *Output) Flush() error {
	if o.w == nil {
		return nil
	}
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", o.cur, err)
	}
	return o.flushFast()
}

// Close finishes the current file. For pcapng, stats (one per interface, may
// be nil) are written as Interface Statistics Blocks first.
func (o *Output) Close(stats []Stats, start, end time.Time) error {
	if o.w == nil {
		return nil
	}
	var err error
	if o.pcapng != nil {
		for i, st := range stats {
			if i >= len(o.cfg.Interfaces) {
				break
			}
			if e := o.pcapng.WriteStats(i, st.Received, st.Dropped, start, end); e != nil && err == nil {
				err = e
			}
		}
	}
	if e := o.closeFile(); e != nil && err == nil {
		err = e
	}
	return err
}

// Files lists the files created, in order (a name reused by a -W ring appears
// again).
func (o *Output) Files() []string { return o.files }

// CreateFile creates a capture file with mode 0600, never through a symlink:
// an existing regular file is removed first (so a hard link to another file
// is not truncated), a symlink or directory is refused, and an existing FIFO
// or character device (/dev/null) is opened for writing.
func CreateFile(name string) (*os.File, error) {
	fi, err := os.Lstat(name)
	switch {
	case err == nil && fi.Mode()&os.ModeSymlink != 0:
		return nil, fmt.Errorf("create %s: it is a symbolic link; refusing to write through it", name)
	case err == nil && fi.Mode().IsRegular():
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("replace %s: %w", name, err)
		}
	case err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeCharDevice) != 0:
		f, err := os.OpenFile(name, os.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		return f, nil
	case err == nil:
		return nil, fmt.Errorf("create %s: not a regular file", name)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return f, nil
}

// FreeSpace returns the bytes available in dir to unprivileged users (statfs
// f_bavail), the figure df shows.
func FreeSpace(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("check free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

func checkFree(dir string, floor uint64) error {
	if floor == 0 {
		return nil
	}
	free, err := FreeSpace(dir)
	if err != nil {
		return err
	}
	if free < floor {
		return fmt.Errorf("%w: %s has %d MiB free, the floor is %d MiB (--min-free)", ErrLowDiskSpace, dir, free>>20, floor>>20)
	}
	return nil
}
