package dropmon

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Open starts counting drops. With SourceAuto it uses NET_DM when the
// kernel has it and nobody else holds it, else the tracepoint; Notes say
// why. Close undoes what Open changed; call it on every way out.
func Open(o Options) (*Monitor, error) {
	m := &Monitor{syms: Symbols{Path: o.Kallsyms}}
	f, ferr := ReadFormat()
	m.format = f
	reasons, err := reasonSet(f, o.Reasons)
	if err != nil {
		return nil, err
	}
	m.reasons = reasons
	if len(o.Addrs) > 0 {
		m.addrs = map[netip.Addr]bool{}
		for _, a := range o.Addrs {
			m.addrs[a.Unmap()] = true
		}
	}
	switch o.Source {
	case SourceAuto, SourceNetDM:
		src, notes, err := openNetDM()
		m.Notes = append(m.Notes, notes...)
		if err == nil {
			m.src, m.name = src, SourceNetDM
			return m, nil
		}
		if o.Source == SourceNetDM {
			return nil, err
		}
		switch {
		case errors.Is(err, ErrNotSupported):
			m.Notes = append(m.Notes, "this kernel has no NET_DM drop monitor (CONFIG_NET_DROP_MONITOR): drops come from the skb:kfree_skb tracepoint, which carries no packet bytes")
		default:
			m.Notes = append(m.Notes, fmt.Sprintf("%v: drops come from the skb:kfree_skb tracepoint instead", err))
		}
	case SourceTracepoint:
	default:
		return nil, fmt.Errorf("unknown drop source %q: use %q or %q", o.Source, SourceTracepoint, SourceNetDM)
	}
	if len(m.addrs) > 0 {
		return nil, fmt.Errorf("%w; %s", ErrNeedsPackets, lastNote(m.Notes))
	}
	if ferr != nil {
		return nil, ferr
	}
	r, err := openPerf(f, kernelFilter(f, reasons), o.RingPages)
	if err != nil {
		return nil, err
	}
	m.src, m.name = &tracepointSource{r: r, f: f}, SourceTracepoint
	return m, nil
}

func lastNote(n []string) string {
	if len(n) == 0 {
		return ""
	}
	return n[len(n)-1]
}

// tracepointSource decodes the records of a perfReader.
type tracepointSource struct {
	r *perfReader
	f *Format
}

func (t *tracepointSource) poll(timeout time.Duration, fn func(Drop)) (uint64, error) {
	var bad uint64
	lost, err := t.r.poll(timeout, func(raw []byte) {
		d, err := t.f.Decode(raw)
		if err != nil {
			bad++
			return
		}
		fn(d)
	})
	return lost + bad, err
}

func (t *tracepointSource) close() error {
	t.r.close()
	return nil
}
