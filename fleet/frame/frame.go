// Package frame is the byte format between `netdiag agent` on a node and
// kubectl-netdiag: a stream of typed, length-prefixed frames over the
// stdout of a Kubernetes exec. It imports nothing but the standard library,
// so the node binary can use it without linking a Kubernetes client.
//
// A frame is
//
//	type    1 byte  (one of the Type constants, an ASCII letter)
//	length  4 bytes big-endian, at most MaxPayload
//	payload length bytes
//
// A stream starts with one Hello frame whose payload is Magic, so that
// anything else on the exec's stdout (a shell's complaint, a wrong binary)
// is an error and not data. Stdout and Stderr frames carry the child's
// output in order; Heartbeat frames (payload: the node's clock, Unix
// nanoseconds in decimal) come every few seconds while the child runs;
// Exit ends the stream (payload: the exit code in decimal). Clock carries
// the node's clock once (payload as Heartbeat) for the clock-offset
// measurement, Sum a sha256 in hex, Fail an agent error message (the child
// could not run): Exit follows it.
package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// Type says what a frame carries.
type Type byte

// Frame types.
const (
	Hello     Type = 'H'
	Stdout    Type = 'O'
	Stderr    Type = 'E'
	Heartbeat Type = 'B'
	Clock     Type = 'T'
	Sum       Type = 'S'
	Fail      Type = 'F'
	Exit      Type = 'X'
)

// Magic is the payload of the Hello frame; its version changes when the
// format does.
const Magic = "netdiag-agent/1"

// MaxPayload bounds one frame so that a corrupt length cannot make a
// reader allocate more; writers split larger data.
const MaxPayload = 1 << 20

const headerLen = 5

// Errors of the reader.
var (
	ErrNoHello     = errors.New("the stream does not start with the agent's hello: the node did not run netdiag agent")
	ErrBadType     = errors.New("unknown frame type")
	ErrTooLarge    = errors.New("frame larger than the maximum")
	ErrBadExitCode = errors.New("exit frame without a decimal exit code")
)

// Frame is one decoded frame. Payload is valid until the next Read.
type Frame struct {
	Type    Type
	Payload []byte
}

func (t Type) valid() bool {
	switch t {
	case Hello, Stdout, Stderr, Heartbeat, Clock, Sum, Fail, Exit:
		return true
	}
	return false
}

func (t Type) String() string {
	switch t {
	case Hello:
		return "hello"
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	case Heartbeat:
		return "heartbeat"
	case Clock:
		return "clock"
	case Sum:
		return "sum"
	case Fail:
		return "fail"
	case Exit:
		return "exit"
	}
	return fmt.Sprintf("type 0x%02x", byte(t))
}

// Writer writes frames; it is safe for concurrent use (the child's stdout,
// its stderr and the heartbeat each write from a goroutine of their own).
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	hdr [headerLen]byte
}

// NewWriter writes the Hello frame and returns a Writer.
func NewWriter(w io.Writer) (*Writer, error) {
	fw := &Writer{w: w}
	if err := fw.Write(Hello, []byte(Magic)); err != nil {
		return nil, err
	}
	return fw, nil
}

// Write writes p as one or more frames of type t (more than one when p is
// larger than MaxPayload). An empty p writes one empty frame.
func (fw *Writer) Write(t Type, p []byte) error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	for {
		n := min(len(p), MaxPayload)
		fw.hdr[0] = byte(t)
		binary.BigEndian.PutUint32(fw.hdr[1:], uint32(n))
		// One write per frame: header and payload together, so that
		// nothing lands between them even if the writer is shared.
		buf := make([]byte, 0, headerLen+n)
		buf = append(append(buf, fw.hdr[:]...), p[:n]...)
		if _, err := fw.w.Write(buf); err != nil {
			return fmt.Errorf("write %s frame: %w", t, err)
		}
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
	}
}

// WriteInt writes a frame whose payload is v in decimal (Heartbeat, Clock,
// Exit).
func (fw *Writer) WriteInt(t Type, v int64) error {
	return fw.Write(t, strconv.AppendInt(nil, v, 10))
}

// StreamWriter is an io.Writer whose every Write becomes frames of one type.
func (fw *Writer) StreamWriter(t Type) io.Writer { return streamWriter{fw, t} }

type streamWriter struct {
	fw *Writer
	t  Type
}

func (s streamWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := s.fw.Write(s.t, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Reader reads frames.
type Reader struct {
	r     io.Reader
	buf   []byte
	hello bool
}

// NewReader returns a Reader of r; the first frame must be Hello.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Read returns the next frame other than Hello. At the end of the stream
// it returns io.EOF when the stream ended between frames (a stream without
// Exit is the caller's to judge), io.ErrUnexpectedEOF inside one. On an
// error no frame is returned.
func (fr *Reader) Read() (Frame, error) {
	for {
		var hdr [headerLen]byte
		if _, err := io.ReadFull(fr.r, hdr[:]); err != nil {
			if err == io.EOF && !fr.hello {
				return Frame{}, ErrNoHello
			}
			return Frame{}, err
		}
		t := Type(hdr[0])
		n := binary.BigEndian.Uint32(hdr[1:])
		if !fr.hello && t != Hello {
			return Frame{}, ErrNoHello
		}
		if !t.valid() {
			return Frame{}, fmt.Errorf("%w 0x%02x", ErrBadType, hdr[0])
		}
		if n > MaxPayload {
			return Frame{}, fmt.Errorf("%s frame of %d bytes: %w (%d)", t, n, ErrTooLarge, MaxPayload)
		}
		if cap(fr.buf) < int(n) {
			fr.buf = make([]byte, n)
		}
		fr.buf = fr.buf[:n]
		if _, err := io.ReadFull(fr.r, fr.buf); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Frame{}, err
		}
		if t == Hello {
			if fr.hello || string(fr.buf) != Magic {
				return Frame{}, fmt.Errorf("%w (hello %q, want %q: plugin and node binary of different versions?)", ErrNoHello, fr.buf, Magic)
			}
			fr.hello = true
			continue
		}
		if t == Exit {
			if _, err := ParseInt(fr.buf); err != nil {
				return Frame{}, ErrBadExitCode
			}
		}
		return Frame{Type: t, Payload: fr.buf}, nil
	}
}

// ParseInt decodes the decimal payload of Heartbeat, Clock and Exit frames.
func ParseInt(p []byte) (int64, error) {
	if len(p) == 0 || len(p) > 20 {
		return 0, fmt.Errorf("bad decimal payload %q", p)
	}
	return strconv.ParseInt(string(p), 10, 64)
}
