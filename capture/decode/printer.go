package decode

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// Time formats, named after the tcpdump flag that selects them.
const (
	TimeDefault    = iota // HH:MM:SS.ffffff in the local time zone
	TimeNone              // -t
	TimeEpoch             // -tt: seconds since 1970
	TimeDelta             // -ttt: since the previous packet
	TimeDate              // -tttt: YYYY-MM-DD HH:MM:SS.ffffff
	TimeSinceFirst        // -ttttt: since the first packet
)

// Options are tcpdump's text-output flags.
type Options struct {
	// NumericHosts is -n: no names for addresses (netdiag never does DNS,
	// but without -n tcpdump adds MAC vendors, /etc/ethers names and
	// protocol keywords) and, as in tcpdump 4.99, numeric ports too.
	NumericHosts bool
	NumericPorts bool // -nn: port numbers instead of /etc/services names
	TimeFormat   int  // one of the Time* constants
	Verbose      int  // -v, -vv, -vvv
	LinkHeader   bool // -e
	Hex          int  // -x 1, -xx 2 (-xx includes the link header)
	ASCII        int  // -X 1, -XX 2 (hex and ASCII)
	Text         int  // -A 1, -AA 2 (ASCII only; -AA includes the link header)
	Number       bool // -#: each line starts with the packet's number
	AbsoluteSeq  bool // -S: absolute TCP sequence numbers
	Quiet        bool // -q: less protocol detail (no TCP flags, no UDP applications)
	Nanosecond   bool // --time-stamp-precision=nano
	// Location is the time zone for TimeDefault and TimeDate; nil means
	// time.Local, as tcpdump uses the TZ environment.
	Location *time.Location
	// IfName names the interface of an SLL2 header's index; nil looks it up
	// in netdiag's own netns, as tcpdump -r does. A live capture in another
	// netns passes a lookup in that netns.
	IfName func(index int) (string, bool)
	// Comments prints each packet's pcapng comment (the owners --attribute
	// writes) on an indented line of its own after the packet; tcpdump
	// prints none.
	Comments bool
}

// Printer prints packets of one link type. It keeps state between packets
// (previous timestamp for -ttt, TCP sequence numbers per flow for relative
// numbering), so use one Printer per stream.
type Printer struct {
	w    *bufio.Writer
	lt   pcapio.LinkType
	opts Options
	loc  *time.Location

	first, prev time.Time
	started     bool

	tcpSeq map[tcpKey]*tcpSeqState
	count  uint64 // packets printed, for -#
	// ike remembers IKEv1 initiators to tell " I" from " R" (isakmp.go).
	ike ikeCookies
	// rpcXids remembers NFS calls to decode their replies (sunrpc.go).
	rpcXids *rpcXids

	// out is the line being built; reused across packets.
	out []byte
	// proto names the printer running, for " [|proto]" on truncation.
	proto string
	// hdrlen is the link header length known so far, for -x.
	hdrlen int
	// tcpPayloadCaptured tells the TCP option printer (md5) whether the
	// segment's payload is all in the capture.
	tcpPayloadCaptured bool
	// bug is the DecodeError of the packet being printed.
	bug *DecodeError
}

// NewPrinter returns a printer writing to w. Print buffers output; call Flush
// before reading w (and after each packet for tcpdump's -l behaviour).
func NewPrinter(w io.Writer, lt pcapio.LinkType, opts Options) *Printer {
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	return &Printer{
		w:      bufio.NewWriterSize(w, 1<<16),
		lt:     lt,
		opts:   opts,
		loc:    loc,
		tcpSeq: make(map[tcpKey]*tcpSeqState),
	}
}

// Flush writes buffered lines to the underlying writer.
func (p *Printer) Flush() error { return p.w.Flush() }

// Print writes the line(s) for one packet: the one-line summary, then the
// hex/ASCII dump when -x/-X ask for it. It never fails on malformed packets,
// which print as tcpdump prints them; errors come from the writer, or are a
// *DecodeError when a bug in a printer cut the line short (the line is
// written; go on with the next packet).
// pkt.OrigLen must be the length on the wire: 0 (like any impossible
// length) prints tcpdump's "[Invalid header: ...]" line. Output is buffered;
// several Printers sharing one writer must Flush after each packet.
func (p *Printer) Print(pkt pcapio.Packet) error {
	p.out = p.out[:0]
	p.count++
	if p.opts.Number {
		s := strconv.FormatUint(p.count, 10)
		p.s("     "[min(len(s), 5):]) // %5u
		p.s(s)
		p.s("  ")
	}
	data := pkt.Data
	if pkt.CaptureLen > 0 && pkt.CaptureLen < len(data) {
		data = data[:pkt.CaptureLen]
	}
	length := pkt.OrigLen
	if p.invalidHeader(len(data), length) {
		_, err := p.w.Write(p.out)
		return err
	}
	p.timestamp(pkt.Timestamp)
	hdrlen := p.run(func() int { return p.link(data, length) })
	p.dump(data, hdrlen)
	p.out = append(p.out, '\n')
	if p.opts.Comments && pkt.Comment != "" {
		p.out = append(p.out, "    "...)
		p.out = append(p.out, pkt.Comment...)
		p.out = append(p.out, '\n')
	}
	if _, err := p.w.Write(p.out); err != nil {
		return err
	}
	if bug := p.bug; bug != nil {
		p.bug = nil
		return bug
	}
	return nil
}

// maxSnaplen is libpcap's MAXIMUM_SNAPLEN.
const maxSnaplen = 262144

// invalidHeader prints tcpdump's "[Invalid header: ...]" line for records
// with impossible lengths and reports whether it did.
func (p *Printer) invalidHeader(caplen, length int) bool {
	invalid := false
	sep := func() {
		if !invalid {
			invalid = true
			p.s("[Invalid header:")
		} else {
			p.c(',')
		}
	}
	if caplen == 0 {
		invalid = true
		p.s("[Invalid header: caplen==0")
	}
	if length == 0 {
		sep()
		p.s(" len==0")
	} else if length < caplen {
		sep()
		p.s(" len(")
		p.i(length)
		p.s(") < caplen(")
		p.i(caplen)
		p.c(')')
	}
	if caplen > maxSnaplen {
		sep()
		p.s(" caplen(")
		p.i(caplen)
		p.s(") > 262144")
	}
	if length > maxSnaplen {
		sep()
		p.s(" len(")
		p.i(length)
		p.s(") > 262144")
	}
	if invalid {
		p.s("]\n")
	}
	return invalid
}
