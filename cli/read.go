package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	ucli "github.com/urfave/cli/v2"
	"golang.org/x/net/bpf"

	"github.com/netdiag/netdiag/capture"
	"github.com/netdiag/netdiag/capture/decode"
	"github.com/netdiag/netdiag/capture/filter"
	"github.com/netdiag/netdiag/capture/pcapio"
)

// readCapture is `capture -r`: read a file, filter, then print or write it.
// Like tcpdump, a file that ends inside a record prints what it holds and
// then fails (exit 1).
func readCapture(c *ucli.Context, e env) error {
	name := c.String("r")
	var in io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		defer f.Close()
		in = f
	}
	r, err := pcapio.NewReader(in)
	if err != nil {
		return fmt.Errorf("capture: read %s: %w", name, err)
	}
	prog, err := filterSource(c)
	if err != nil {
		return err
	}
	// Like tcpdump, timestamps are µs unless nanoseconds are asked for,
	// whatever the file holds.
	nano, err := precision(c)
	if err != nil {
		return err
	}
	first := r.Interface(0)
	lt, snap := first.LinkType, first.SnapLen
	if snap == 0 {
		snap = capture.DefaultSnapLen
	}
	fmt.Fprintf(e.stderr, "reading from file %s, link-type %s (%s), snapshot length %d\n", name, lt, lt.Description(), snap)

	rd := &savefileReader{r: r, name: name, prog: prog, snap: snap, limit: c.Int("c")}
	if _, err := rd.filterFor(lt); err != nil {
		return err
	}
	if out := c.String("w"); out != "" {
		var dst io.Writer = e.stdout
		if out != "-" {
			f, err := capture.CreateFile(out)
			if err != nil {
				return fmt.Errorf("capture: %w", err)
			}
			defer f.Close()
			dst = capture.RecordFile(f)
		}
		return rd.write(dst, c.Bool("pcapng"), nano)
	}
	o := textOptions(c)
	o.Nanosecond = nano
	return rd.print(e, o)
}

// savefileReader filters the packets of a savefile: one compiled filter per
// link type, as a pcapng file may mix Ethernet and cooked interfaces.
type savefileReader struct {
	r       pcapio.Reader
	name    string
	prog    filterProgram
	snap    uint32
	limit   int
	n       int
	filters map[pcapio.LinkType][]bpf.RawInstruction
}

func (s *savefileReader) filterFor(lt pcapio.LinkType) ([]bpf.RawInstruction, error) {
	if s.prog.prog != nil || s.prog.text == "" {
		return s.prog.prog, nil
	}
	if f, ok := s.filters[lt]; ok {
		return f, nil
	}
	f, err := filter.Compile(s.prog.text, filter.LinkType(lt), s.snap, filter.Savefile())
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	if s.filters == nil {
		s.filters = map[pcapio.LinkType][]bpf.RawInstruction{}
	}
	s.filters[lt] = f
	return f, nil
}

// next returns the next packet the filter takes and its link type; io.EOF
// at the end (or at -c), a *pcapio.TruncatedError for a file cut short.
func (s *savefileReader) next() (pcapio.Packet, pcapio.LinkType, error) {
	for {
		if s.limit > 0 && s.n >= s.limit {
			return pcapio.Packet{}, 0, io.EOF
		}
		p, err := s.r.Next()
		if err == io.EOF {
			return p, 0, err
		}
		if err != nil {
			return p, 0, fmt.Errorf("capture: read %s: %w", s.name, err)
		}
		lt := s.r.Interface(p.InterfaceIndex).LinkType
		f, err := s.filterFor(lt)
		if err != nil {
			return p, 0, err
		}
		if f != nil {
			m := filter.Meta{}
			if p.Flags&3 == pcapio.FlagOutbound {
				m.PktType = 4 // PACKET_OUTGOING, for inbound/outbound on pcapng
			}
			if k, err := filter.Run(f, p.Data, p.OrigLen, &m); err != nil || k == 0 {
				continue
			}
		}
		s.n++
		return p, lt, nil
	}
}

// print writes the packets as text, one printer per interface.
func (s *savefileReader) print(e env, o decode.Options) error {
	type key struct{ section, iface int }
	printers := map[key]*decode.Printer{}
	var bug error
	var readErr error
	for {
		p, lt, err := s.next()
		if err != nil {
			if err != io.EOF {
				readErr = err
			}
			break
		}
		k := key{s.r.Section(), p.InterfaceIndex}
		pr := printers[k]
		if pr == nil {
			pr = decode.NewPrinter(e.stdout, lt, o)
			printers[k] = pr
		}
		err = pr.Print(p)
		var de *decode.DecodeError
		if errors.As(err, &de) {
			if bug == nil {
				bug = de
				fmt.Fprintf(e.stderr, "netdiag: packet %d: %v\n", s.n, de)
			}
			err = nil
		}
		// Several interfaces print through several buffers: flush each
		// line so the file's order holds.
		if err == nil && (len(printers) > 1 || s.r.NumInterfaces() > 1) {
			err = pr.Flush()
		}
		if err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	for _, pr := range printers {
		if err := pr.Flush(); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	return readErr
}

// write copies the packets to a pcap or pcapng stream. pcapng keeps every
// interface, added to the output as the input describes it. A pcap file
// has one link type: like tcpdump (libpcap's "an interface has a type ...
// different from the type of the first interface"), a second link type
// ends the copy with an error after the packets before it.
func (s *savefileReader) write(dst io.Writer, ng, nano bool) error {
	var w pcapio.Writer
	var ngw *pcapio.PcapngWriter
	first := s.r.Interface(0)
	if ng {
		var err error
		if ngw, err = pcapio.NewPcapngWriter(dst, []pcapio.Interface{first}); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		w = ngw
	} else {
		pw, err := pcapio.NewPcapWriter(dst, first.LinkType, s.snap, nano)
		if err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		w = pw
	}
	// out maps the input's interfaces (of the current section) to the
	// output's.
	out := []int{0}
	section := s.r.Section()
	checked := 1
	sync := func() error {
		if sec := s.r.Section(); sec != section {
			section, out, checked = sec, out[:0], 0
		}
		for ; checked < s.r.NumInterfaces(); checked++ {
			ifc := s.r.Interface(checked)
			if ngw != nil {
				i, err := ngw.AddInterface(ifc)
				if err != nil {
					return err
				}
				out = append(out, i)
				continue
			}
			if ifc.LinkType != first.LinkType {
				return fmt.Errorf("capture: read %s: interface %d has link type %s (%d), different from %s (%d) of the first interface: a pcap file holds one link type; write pcapng (--pcapng) to keep both",
					s.name, checked, ifc.LinkType, uint32(ifc.LinkType), first.LinkType, uint32(first.LinkType))
			}
			if ifc.SnapLen > s.snap {
				return fmt.Errorf("capture: read %s: interface %d has a snapshot length of %d, more than %d of the first interface: packets would be cut; write pcapng (--pcapng)",
					s.name, checked, ifc.SnapLen, s.snap)
			}
			out = append(out, 0)
		}
		return nil
	}
	var failed error
	for failed == nil {
		p, _, err := s.next()
		if serr := sync(); serr != nil {
			failed = serr
			break
		}
		if err != nil {
			if err != io.EOF {
				failed = err
			}
			break
		}
		if p.InterfaceIndex < len(out) {
			p.InterfaceIndex = out[p.InterfaceIndex]
		}
		if err := w.WritePacket(p); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	// What was read goes out before the error, as tcpdump writes it.
	if err := w.Flush(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return failed
}
