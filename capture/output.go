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
	// Names go into pcapng name resolution blocks after the interfaces of
	// every file (pod and Service names of addresses); pcap has none.
	Names []pcapio.Name
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
	// MinFree is the free space in bytes the target directory must keep:
	// checked before each new file and before writes, often enough that no
	// write takes the directory below it (the capture stops first). 0
	// disables.
	MinFree uint64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Output is the sink of a capture: one pcap or pcapng stream, rotated as
// configured. Every write(2) to a file holds whole records, a file appears
// under its name only with its header in it, and a failed write is cut back
// off the file, so at any moment (SIGKILL, a full disk) each file is
// readable to its end. Not safe for concurrent use.
type Output struct {
	cfg    FileConfig
	w      bufferedWriter
	pcapng *pcapio.PcapngWriter
	f      *os.File
	cw     recordFile
	cur    string
	files  []string
	cCount int // tcpdump's Cflag_count
	gCount int // tcpdump's Gflag_count
	gTime  time.Time
	chars  int // tcpdump's WflagChars
	// fast is the pcap record buffer: pcap packets bypass pcapio's writer
	// (which writes the file header) so a packet costs one copy into it.
	fast     []byte
	fastPkts int // records in fast
	fastSnap int
	// accepted counts the packets handed to the current file's writer,
	// done those in files already closed.
	accepted, done uint64
	// err is the write error already returned by Write: Close does not
	// report it again.
	err error
}

// fastBufSize: at 300k 64-byte packets/s, one write(2) per ~3000 packets.
const fastBufSize = 256 << 10

type bufferedWriter interface {
	pcapio.Writer
	Buffered() int
	BufferedPackets() int
}

// recordFile is where the records go. Its callers write whole records
// only; it keeps the free-space floor before each write and cuts a failed
// or short write back off a regular file, so the file always ends on a
// whole record.
type recordFile struct {
	w       io.Writer
	f       *os.File // set for a regular file
	name    string
	n       int64 // bytes in the file
	dir     string
	floor   uint64
	headway int64 // bytes that may be written before free space is read again
	raw     int   // the regular file's descriptor for writeRaw, or -1
}

// RecordFile returns a writer to f for writers that hand it whole records
// (pcapio's): a failed or short write is cut back off a regular file, so
// the file ends on a whole record whatever happens, and the error names f
// once.
func RecordFile(f *os.File) io.Writer {
	c := &recordFile{w: f, name: f.Name(), raw: -1}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		c.f = f
		if off, err := f.Seek(0, io.SeekCurrent); err == nil {
			c.n = off
		}
	}
	return c
}

func (c *recordFile) Write(p []byte) (int, error) {
	if c.f != nil && c.floor > 0 {
		if err := c.reserve(int64(len(p))); err != nil {
			return 0, err
		}
	}
	var n int
	var err error
	if c.raw >= 0 {
		n, err = writeRaw(c.raw, c.name, p)
	} else {
		n, err = c.w.Write(p)
	}
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if n > 0 && c.f != nil {
			// Cut the partial record off: the file keeps its whole records.
			if terr := c.f.Truncate(c.n); terr == nil {
				_, _ = c.f.Seek(c.n, io.SeekStart)
			}
		}
		var pe *os.PathError
		if !errors.As(err, &pe) {
			err = fmt.Errorf("write %s: %w", c.name, err)
		}
		return 0, err
	}
	c.n += int64(n)
	return n, nil
}

// reserve reads the free space when the bytes written since the last look
// may have used up half the room above the floor (at most 16 MiB apart),
// and refuses a write that would take the directory below the floor. On a
// small disk it looks before nearly every write; never after the fact.
func (c *recordFile) reserve(n int64) error {
	// A write can start a block: count one more.
	need := n + 4096
	if need > c.headway {
		free, err := FreeSpace(c.dir)
		if err != nil {
			return err
		}
		if free < c.floor || free-c.floor < uint64(need) {
			return fmt.Errorf("%w: %s has %s free, the floor is %s (--min-free); %s ends with its last whole packet",
				ErrLowDiskSpace, c.dir, sizeString(free), sizeString(c.floor), c.name)
		}
		room := int64(min(free-c.floor, 1<<62))
		c.headway = max(min(room/2, 16<<20), need)
	}
	c.headway -= need
	return nil
}

// sizeString says a byte count the way df -h would, in 1024 units.
func sizeString(n uint64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 10<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 10<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
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
	o.cw = recordFile{name: name, raw: -1}
	o.accepted = 0
	start := func(dst io.Writer) error {
		o.cw.w = dst
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
			if err == nil && len(o.cfg.Names) > 0 {
				err = o.pcapng.AddNames(o.cfg.Names)
			}
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
			return err
		}
		// The header reaches the file at once, so even an empty capture is
		// readable.
		return o.w.Flush()
	}
	if name == "-" {
		if o.cfg.Stdout == nil {
			return fmt.Errorf("create output: no standard output")
		}
		if err := start(o.cfg.Stdout); err != nil {
			o.w, o.pcapng = nil, nil
			return fmt.Errorf("create output %s: %w", name, err)
		}
	} else {
		dir := filepath.Dir(name)
		// A file the ring replaces gives its space back.
		var credit uint64
		if fi, err := os.Lstat(name); err == nil && fi.Mode().IsRegular() {
			credit = uint64(fi.Size())
		}
		if err := checkFree(dir, o.cfg.MinFree, credit); err != nil {
			return err
		}
		f, err := createPublished(name, func(f *os.File) error {
			o.cw.f, o.cw.dir, o.cw.floor = f, dir, o.cfg.MinFree
			return start(f)
		})
		if err != nil {
			o.w, o.pcapng = nil, nil
			return err
		}
		o.f = f
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			o.cw.f = nil // a FIFO or /dev/null: nothing to cut back
		} else {
			o.cw.raw = rawFd(f)
		}
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
	if _, err := o.cw.Write(o.fast); err != nil {
		return err
	}
	o.fast, o.fastPkts = o.fast[:0], 0
	return nil
}

func (o *Output) closeFile() error {
	var err error
	if o.w != nil && o.err == nil {
		err = o.w.Flush()
		if e := o.flushFast(); e != nil && err == nil {
			err = e
		}
	}
	if o.w != nil {
		o.done += o.accepted - uint64(o.buffered())
		o.accepted = 0
	}
	if o.f != nil {
		if e := o.f.Close(); e != nil && err == nil {
			err = fmt.Errorf("close %s: %w", o.f.Name(), e)
		}
		o.f = nil
	}
	o.w, o.pcapng = nil, nil
	return o.fail(err)
}

// fail keeps the first write error; an error returned once is not
// returned again by Close.
func (o *Output) fail(err error) error {
	if err != nil && o.err == nil {
		o.err = err
	}
	return err
}

// buffered is the number of packets not yet in the file.
func (o *Output) buffered() int { return o.w.BufferedPackets() + o.fastPkts }

// Packets is the number of packets in the files: written, not just
// buffered. After a write error it does not count the packets lost with
// it, so it is what a reader finds.
func (o *Output) Packets() uint64 {
	if o.w == nil {
		return o.done
	}
	return o.done + o.accepted - uint64(o.buffered())
}

// size is tcpdump's pcap_dump_ftell: bytes written, buffered ones included.
func (o *Output) size() int64 { return o.cw.n + int64(o.w.Buffered()) + int64(len(o.fast)) }

// Write appends one packet, rotating first when due. It returns
// ErrFileLimitReached when -G with -W has made its last file, and
// ErrLowDiskSpace when the directory runs short of free space.
func (o *Output) Write(pi *PacketInfo, data []byte) error {
	if o.err != nil {
		return o.err
	}
	if o.w == nil {
		return fmt.Errorf("write packet: output closed")
	}
	return o.fail(o.write(pi, data))
}

func (o *Output) write(pi *PacketInfo, data []byte) error {
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
		return o.writeFast(pi, data)
	}
	return o.writeNG(pi, data)
}

// writeFast appends a pcap record (pcap-savefile(5), little endian) to the
// buffer.
func (o *Output) writeFast(pi *PacketInfo, data []byte) error {
	sec, nsec := pi.sec, pi.nsec
	if !pi.raw {
		sec, nsec = uint32(pi.Timestamp.Unix()), uint32(pi.Timestamp.Nanosecond())
	}
	return o.appendPcap(sec, nsec, data, pi.Length)
}

// blockFast reports whether a ring block's records may go straight to
// appendPcap: a pcap file with no rotation, no flush per packet and no
// error.
func (o *Output) blockFast() bool {
	return o.w != nil && o.err == nil && o.pcapng == nil && o.cfg.RotateEvery == 0 && o.cfg.RotateSize == 0 && !o.cfg.FlushEach
}

// appendPcap appends the pcap record of a packet seen at sec, nsec with
// wire length wire.
func (o *Output) appendPcap(sec, nsec uint32, data []byte, wire int) error {
	if len(data) > o.fastSnap {
		data = data[:o.fastSnap]
	}
	if wire < len(data) {
		wire = len(data)
	}
	frac := nsec
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
		// One write(2) for the whole record.
		rec := make([]byte, 0, 16+len(data))
		if _, err := o.cw.Write(append(append(rec, h[:]...), data...)); err != nil {
			return err
		}
		o.accepted++
		return nil
	}
	b := o.fast[n : n+16+len(data)]
	binary.LittleEndian.PutUint32(b[0:], sec)
	binary.LittleEndian.PutUint32(b[4:], frac)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[12:], uint32(wire))
	copy(b[16:], data)
	o.fast = o.fast[:n+16+len(data)]
	o.fastPkts++
	o.accepted++
	if o.cfg.FlushEach {
		return o.flushFast()
	}
	return nil
}

func (o *Output) writeNG(pi *PacketInfo, data []byte) error {
	p := pcapio.Packet{Timestamp: pi.Timestamp, CaptureLen: len(data), OrigLen: pi.Length, Data: data, InterfaceIndex: pi.Source, Comment: pi.Comment,
		Flags: pcapio.FlagInbound}
	if pi.PacketType == 4 { // PACKET_OUTGOING
		p.Flags = pcapio.FlagOutbound
	}
	if err := o.pcapng.WritePacket(p); err != nil {
		return err
	}
	o.accepted++
	if o.cfg.FlushEach {
		return o.w.Flush()
	}
	return nil
}

// Flush writes buffered packets to the file.
func (o *Output) Flush() error {
	if o.err != nil {
		return o.err
	}
	if o.w == nil {
		return nil
	}
	if err := o.w.Flush(); err != nil {
		return o.fail(err)
	}
	return o.fail(o.flushFast())
}

// Close finishes the current file. For pcapng, stats (one per interface, may
// be nil) are written as Interface Statistics Blocks first. A write error
// that Write or Flush already returned is not returned again.
func (o *Output) Close(stats []Stats, start, end time.Time) error {
	if o.w == nil {
		return nil
	}
	if o.err != nil {
		_ = o.closeFile()
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

func createThenInit(name string, init func(*os.File) error) (*os.File, error) {
	f, err := CreateFile(name)
	if err != nil {
		return nil, err
	}
	if err := init(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return f, nil
}

// checkFree refuses when dir has less than floor free, counting credit
// bytes about to be freed.
func checkFree(dir string, floor, credit uint64) error {
	if floor == 0 {
		return nil
	}
	free, err := FreeSpace(dir)
	if err != nil {
		return err
	}
	if free+credit < floor {
		return fmt.Errorf("%w: %s has %s free, the floor is %s (--min-free)", ErrLowDiskSpace, dir, sizeString(free), sizeString(floor))
	}
	return nil
}
