package fleet

import (
	"container/heap"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// HostName is one address → name pair of a pcapng Name Resolution Block.
type HostName struct {
	Addr netip.Addr
	Name string // "namespace/name" of a pod or Service
}

// Merger merges the pcapng streams of several nodes into one pcapng:
// each source interface becomes an interface of its own named
// "NODE/IFNAME"; pod and Service names go into a Name Resolution Block;
// packets come out in time order. It holds each packet for Window, so
// that one arriving a little later from another node can still go before
// it: a packet later than that is written where it arrives and counted in
// Late. Safe for concurrent use by one goroutine per source.
type Merger struct {
	Window time.Duration

	mu         sync.Mutex
	w          *pcapio.PcapngWriter // nil until the first interface
	out        io.Writer
	comment    string
	names      []HostName
	pending    packetHeap
	seq        uint64
	last       time.Time
	Late       int
	Packets    int
	Interfaces int
}

// NewMerger returns a merger writing to w; the section header (with
// comment, e.g. the clock offsets) and the names are written with the
// first interface, as pcapio wants one up front.
func NewMerger(w io.Writer, comment string, names []HostName) *Merger {
	return &Merger{Window: 2 * time.Second, out: w, comment: comment, names: names}
}

// start writes the header, the first interface and the names.
func (m *Merger) start(first pcapio.Interface) error {
	pw, err := pcapio.NewPcapngWriter(m.out, []pcapio.Interface{first},
		pcapio.WithApplication("kubectl-netdiag"), pcapio.WithSectionComment(m.comment))
	if err != nil {
		return err
	}
	var names []pcapio.Name
	for _, n := range m.names {
		names = append(names, pcapio.Name{Addr: n.Addr, Names: []string{n.Name}})
	}
	if err := pw.AddNames(names); err != nil {
		return fmt.Errorf("write pcapng names: %w", err)
	}
	if err := pw.Flush(); err != nil {
		return fmt.Errorf("write pcapng header: %w", err)
	}
	m.w = pw
	return nil
}

// Source is one node's stream.
type Source struct {
	m      *Merger
	Node   string
	Label  string // what this stream captures, for the interface description
	Offset ClockOffset
	ifaces map[int]int // the stream's interface index → the merged file's
	sect   int
}

// Source returns a source for one node's stream.
func (m *Merger) Source(node, label string, off ClockOffset) *Source {
	return &Source{m: m, Node: node, Label: label, Offset: off, ifaces: map[int]int{}}
}

// Copy reads a pcap or pcapng stream into the merger until its end; a
// stream cut short (a node stopped mid-packet) ends quietly. started is
// called once the stream's header has come: the node captures.
func (s *Source) Copy(r io.Reader, started func()) error {
	pr, err := pcapio.NewReader(r)
	if err != nil {
		if err == io.EOF {
			return nil
		}
		return fmt.Errorf("node %s: read its capture: %w", s.Node, err)
	}
	if started != nil {
		started()
	}
	for {
		p, err := pr.Next()
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil
			}
			var te *pcapio.TruncatedError
			if asTruncated(err, &te) {
				return nil
			}
			return fmt.Errorf("node %s: read its capture: %w", s.Node, err)
		}
		if pr.Section() != s.sect {
			s.sect, s.ifaces = pr.Section(), map[int]int{}
		}
		idx, ok := s.ifaces[p.InterfaceIndex]
		if !ok {
			ifc := pr.Interface(p.InterfaceIndex)
			name := ifc.Name
			if name == "" {
				name = fmt.Sprintf("if%d", p.InterfaceIndex)
			}
			ifc.Name = s.Node + "/" + name
			ifc.Description = fmt.Sprintf("%s on node %s; clock offset %s", s.Label, s.Node, s.Offset)
			if idx, err = s.m.addInterface(ifc); err != nil {
				return err
			}
			s.ifaces[p.InterfaceIndex] = idx
		}
		p.InterfaceIndex = idx
		p.Data = append([]byte(nil), p.Data...)
		if err := s.m.add(p); err != nil {
			return err
		}
	}
}

func asTruncated(err error, te **pcapio.TruncatedError) bool {
	t, ok := err.(*pcapio.TruncatedError)
	if ok {
		*te = t
	}
	return ok
}

// String is the offset as "+1.234ms ±0.2ms".
func (o ClockOffset) String() string {
	sign := "+"
	if o.Offset < 0 {
		sign = "-"
		o.Offset = -o.Offset
	}
	return fmt.Sprintf("%s%v ±%v", sign, o.Offset.Round(time.Microsecond), o.Uncertainty.Round(time.Microsecond))
}

func (m *Merger) addInterface(ifc pcapio.Interface) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Interfaces++
	if m.w == nil {
		return 0, m.start(ifc)
	}
	return m.w.AddInterface(ifc)
}

func (m *Merger) add(p pcapio.Packet) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	heap.Push(&m.pending, held{p, m.seq})
	return nil
}

// Flush writes the packets held longer than Window (all of them when all
// is true) and flushes the output.
func (m *Merger) Flush(now time.Time, all bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.w == nil {
		if !all {
			return nil
		}
		// No packets at all: still a valid file.
		if err := m.start(pcapio.Interface{Name: "none", Description: "no node captured anything", LinkType: pcapio.LinkTypeEthernet}); err != nil {
			return err
		}
	}
	for m.pending.Len() > 0 {
		p := m.pending[0].p
		if !all && !p.Timestamp.Before(now.Add(-m.Window)) {
			break
		}
		heap.Pop(&m.pending)
		if p.Timestamp.Before(m.last) {
			m.Late++
		} else {
			m.last = p.Timestamp
		}
		if err := m.w.WritePacket(p); err != nil {
			return err
		}
		m.Packets++
	}
	return m.w.Flush()
}

type held struct {
	p   pcapio.Packet
	seq uint64
}

// packetHeap orders by timestamp, then by arrival.
type packetHeap []held

func (h packetHeap) Len() int { return len(h) }
func (h packetHeap) Less(i, j int) bool {
	if !h[i].p.Timestamp.Equal(h[j].p.Timestamp) {
		return h[i].p.Timestamp.Before(h[j].p.Timestamp)
	}
	return h[i].seq < h[j].seq
}
func (h packetHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *packetHeap) Push(x any)   { *h = append(*h, x.(held)) }
func (h *packetHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// SortNames orders names by address for a stable file.
func SortNames(names []HostName) {
	sort.Slice(names, func(i, j int) bool { return names[i].Addr.Less(names[j].Addr) })
}
