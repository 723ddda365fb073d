package dropmon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Sources of drops.
const (
	SourceAuto       = ""           // NET_DM when usable, else the tracepoint
	SourceTracepoint = "tracepoint" // skb:kfree_skb through perf_event_open
	SourceNetDM      = "netdm"      // the NET_DM drop monitor in packet mode
)

var (
	// ErrNotSupported says the kernel lacks the interface asked for.
	ErrNotSupported = errors.New("not supported by this kernel")
	// ErrBusy says another program (dropwatch, another netdiag) holds the
	// drop monitor, whose settings are global.
	ErrBusy = errors.New("the drop monitor (NET_DM) is in use by another program")
	// ErrNeedsPackets says drops were asked for by address but the source
	// carries no packet bytes.
	ErrNeedsPackets = errors.New("attributing drops to addresses or pods needs packet bytes, which only the NET_DM drop monitor gives (CONFIG_NET_DROP_MONITOR)")
	// ErrUnknownReason says a reason name is not one this kernel knows.
	ErrUnknownReason = errors.New("unknown drop reason")
)

// Options say what to count.
type Options struct {
	// Source picks the kernel interface; SourceAuto prefers NET_DM.
	Source string
	// Reasons keeps only these drop reasons (as the kernel prints them,
	// with or without SKB_DROP_REASON_); empty keeps every reason.
	Reasons []string
	// Addrs keeps only packets from or to these addresses; needs NET_DM.
	Addrs []netip.Addr
	// RingPages is the perf ring size per CPU in pages (a power of two);
	// 0 means 128 (512 KiB with 4 KiB pages, as perf record).
	RingPages int
	// Kallsyms is the kernel symbol file; "" means /proc/kallsyms.
	Kallsyms string
}

// source is one kernel interface that hands over drops.
type source interface {
	// poll waits at most timeout, then hands every pending drop to fn and
	// says how many the kernel had to discard.
	poll(timeout time.Duration, fn func(Drop)) (lost uint64, err error)
	close() error
}

// Monitor counts drops from one source until closed.
type Monitor struct {
	src     source
	name    string
	format  *Format // nil when tracefs could not be read (NET_DM only)
	reasons map[string]bool
	addrs   map[netip.Addr]bool
	syms    Symbols
	// Notes say why the preferred source was not used, or what a source
	// cannot do (attribution), in a sentence each.
	Notes []string
}

// Source names the kernel interface in use: SourceTracepoint or SourceNetDM.
func (m *Monitor) Source() string { return m.name }

// Format is the tracepoint's layout, or nil when tracefs was not read.
func (m *Monitor) Format() *Format { return m.format }

// rawKey groups drops before their location is named.
type rawKey struct {
	reason string
	loc    uint64
	proto  uint16
	symbol string // NET_DM's own naming of loc
}

type rawCount struct {
	n        uint64
	examples []Packet
}

// Sample counts drops for d (or until ctx ends, which is not an error)
// and returns them named and sorted.
func (m *Monitor) Sample(ctx context.Context, d time.Duration) (*Report, error) {
	start := time.Now()
	deadline := start.Add(d)
	raw := map[rawKey]*rawCount{}
	rep := &Report{Source: m.name, Start: start.UTC()}
	add := func(dr Drop) {
		name := dr.ReasonName
		if name == "" {
			name = m.reasonName(dr.Reason)
		}
		if len(m.reasons) > 0 && !m.reasons[name] {
			return
		}
		if len(m.addrs) > 0 && !dr.Packet.Has(m.addrs) {
			return
		}
		k := rawKey{reason: name, loc: dr.Location, proto: dr.Protocol, symbol: dr.Symbol}
		c := raw[k]
		if c == nil {
			c = &rawCount{}
			raw[k] = c
		}
		c.n++
		if dr.Packet != nil && len(c.examples) < maxExamples {
			c.examples = append(c.examples, *dr.Packet)
		}
	}
	for {
		left := time.Until(deadline)
		done := ctx.Err() != nil
		if left <= 0 || done {
			left = 0 // one last read of what is already there
		}
		lost, err := m.src.poll(min(left, 100*time.Millisecond), add)
		rep.Lost += lost
		if err != nil {
			return nil, err
		}
		if left == 0 {
			break
		}
	}
	rep.Duration = time.Since(start)
	m.nameCounts(raw, rep)
	return rep, nil
}

// nameCounts names locations with kallsyms and fills the report's counts.
func (m *Monitor) nameCounts(raw map[rawKey]*rawCount, rep *Report) {
	var addrs []uint64
	for k := range raw {
		if k.symbol == "" && k.loc != 0 {
			addrs = append(addrs, k.loc)
		}
	}
	syms, err := m.syms.Lookup(addrs)
	if err != nil && !m.noted(err.Error()) {
		m.Notes = append(m.Notes, err.Error())
	}
	t := newTally()
	for k, c := range raw {
		function, location := "", ""
		switch {
		case k.symbol != "":
			function, location = symbolFunction(k.symbol), k.symbol
		case syms[k.loc].Name != "":
			function, location = syms[k.loc].Name, syms[k.loc].String()
		default:
			function = fmt.Sprintf("%#x", k.loc)
			location = function
		}
		kk := key{k.reason, function, k.proto}
		cc, ok := t.byKey[kk]
		if !ok {
			cc = &Count{Reason: k.reason, Function: function, Location: location, Protocol: ProtocolName(k.proto)}
			t.byKey[kk] = cc
		} else if location < cc.Location {
			cc.Location = location // the same site whatever the map order
		}
		cc.Count += c.n
		t.total += c.n
		for _, e := range c.examples {
			if len(cc.Examples) < maxExamples {
				cc.Examples = append(cc.Examples, e)
			}
		}
	}
	rep.Counts = t.counts()
	rep.Total = t.total
}

func (m *Monitor) noted(s string) bool {
	for _, n := range m.Notes {
		if n == s {
			return true
		}
	}
	return false
}

func (m *Monitor) reasonName(v uint32) string {
	if m.format == nil {
		return fmt.Sprintf("REASON_%d", v)
	}
	if m.format.Reason.Size == 0 {
		return "UNKNOWN" // kernel before 5.17: no reasons
	}
	return m.format.ReasonName(v)
}

// Close stops the source and undoes what opening it changed.
func (m *Monitor) Close() error {
	if m.src == nil {
		return nil
	}
	err := m.src.close()
	m.src = nil
	return err
}

// reasonSet checks reason names against the format (when known) and
// returns them normalized.
func reasonSet(f *Format, names []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, n := range names {
		norm := normalizeReason(n)
		if norm == "" {
			continue
		}
		if f != nil && len(f.Reasons) > 0 {
			v, ok := f.ReasonValue(norm)
			if !ok {
				return nil, fmt.Errorf("%w %q: this kernel knows %s", ErrUnknownReason, n, strings.Join(f.ReasonNames(), ", "))
			}
			norm = f.ReasonName(v) // as the kernel spells it
		}
		out[norm] = true
	}
	return out, nil
}

// kernelFilter is the ftrace filter that keeps only the given reasons, so
// that other drops cost no ring space; "" when every reason is kept.
func kernelFilter(f *Format, reasons map[string]bool) string {
	if len(reasons) == 0 || f.Reason.Size == 0 {
		return ""
	}
	var vs []uint32
	for name := range reasons {
		v, ok := f.ReasonValue(name)
		if !ok {
			return "" // filtered in user space only
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	terms := make([]string, len(vs))
	for i, v := range vs {
		terms[i] = fmt.Sprintf("reason == %d", v)
	}
	return strings.Join(terms, " || ")
}
