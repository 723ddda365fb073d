package dropmon

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Field is where one field of a tracepoint record sits.
type Field struct {
	Offset, Size int
}

// Format is the layout of skb:kfree_skb records as tracefs describes it in
// events/skb/kfree_skb/format: the event id for perf_event_open, the
// fields this package reads, and the drop reasons by value as the kernel
// prints them.
type Format struct {
	ID       uint32
	Location Field // the caller of kfree_skb_reason: void *
	Protocol Field // ntohs(skb->protocol): unsigned short
	// Reason is absent (Size 0) before Linux 5.17.
	Reason Field
	// Reasons maps enum skb_drop_reason values to the names the tracepoint
	// prints (NETFILTER_DROP, …), read from its print fmt.
	Reasons map[uint32]string
}

// ErrFormat is wrapped by every error about a malformed format file.
var ErrFormat = errors.New("malformed tracepoint format")

// ParseFormat reads a tracefs format file of skb:kfree_skb.
func ParseFormat(b []byte) (*Format, error) {
	f := &Format{Reasons: map[uint32]string{}}
	fields := map[string]Field{}
	haveID := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "ID:"):
			id, err := strconv.ParseUint(strings.TrimSpace(line[3:]), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%w: ID %q", ErrFormat, line[3:])
			}
			f.ID, haveID = uint32(id), true
		case strings.HasPrefix(line, "field:"):
			name, fl, err := parseField(line)
			if err != nil {
				return nil, err
			}
			fields[name] = fl
		case strings.HasPrefix(line, "print fmt:"):
			f.Reasons = parseSymbolic(line, "REC->reason")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if !haveID {
		return nil, fmt.Errorf("%w: no ID line", ErrFormat)
	}
	var ok bool
	if f.Location, ok = fields["location"]; !ok || (f.Location.Size != 8 && f.Location.Size != 4) {
		return nil, fmt.Errorf("%w: no pointer field location", ErrFormat)
	}
	if f.Protocol, ok = fields["protocol"]; !ok || f.Protocol.Size != 2 {
		return nil, fmt.Errorf("%w: no 2-byte field protocol", ErrFormat)
	}
	if r, ok := fields["reason"]; ok {
		if r.Size != 4 {
			return nil, fmt.Errorf("%w: field reason has size %d, want 4", ErrFormat, r.Size)
		}
		f.Reason = r
	}
	return f, nil
}

// parseField reads "field:TYPE NAME;	offset:N;	size:N;	signed:N;".
func parseField(line string) (string, Field, error) {
	var name string
	var fl Field
	haveOff, haveSize := false, false
	for _, part := range strings.Split(line, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			continue
		}
		switch k {
		case "field":
			decl := strings.Fields(v)
			if len(decl) == 0 {
				return "", fl, fmt.Errorf("%w: field without a name: %q", ErrFormat, clip(line))
			}
			name = strings.TrimLeft(decl[len(decl)-1], "*")
			if i := strings.IndexByte(name, '['); i >= 0 {
				name = name[:i]
			}
		case "offset", "size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1<<16 {
				return "", fl, fmt.Errorf("%w: %s %q in %q", ErrFormat, k, v, clip(line))
			}
			if k == "offset" {
				fl.Offset, haveOff = n, true
			} else {
				fl.Size, haveSize = n, true
			}
		}
	}
	if name == "" || !haveOff || !haveSize {
		return "", fl, fmt.Errorf("%w: field line %q", ErrFormat, clip(line))
	}
	return name, fl, nil
}

// parseSymbolic reads the table of __print_symbolic(ARG, { N, "NAME" }, …)
// for ARG in a print fmt line. Entries whose value is not a number (an
// enum the kernel did not resolve) are left out.
func parseSymbolic(line, arg string) map[uint32]string {
	out := map[uint32]string{}
	i := strings.Index(line, "__print_symbolic("+arg)
	if i < 0 {
		return out
	}
	rest := line[i+len("__print_symbolic(")+len(arg):]
	for {
		open := strings.IndexByte(rest, '{')
		end := strings.IndexByte(rest, ')')
		if open < 0 || (end >= 0 && end < open) {
			return out
		}
		closing := strings.IndexByte(rest[open:], '}')
		if closing < 0 {
			return out
		}
		entry := rest[open+1 : open+closing]
		rest = rest[open+closing+1:]
		num, name, ok := strings.Cut(entry, ",")
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(num), 0, 32)
		name = strings.Trim(strings.TrimSpace(name), `"`)
		if err != nil || name == "" {
			continue
		}
		out[uint32(v)] = name
	}
}

// subsysShift splits a drop reason into subsystem (upper 16 bits,
// SKB_DROP_REASON_SUBSYS_MASK) and the reason within it.
const subsysShift = 16

// ReasonName names a drop reason value as the tracepoint prints it; a
// value the format does not list (a subsystem's own reasons, such as
// mac80211's or openvswitch's, or a newer kernel) is "SUBSYS_S:N" or
// "REASON_N".
func (f *Format) ReasonName(v uint32) string {
	if n, ok := f.Reasons[v]; ok {
		return n
	}
	if s := v >> subsysShift; s != 0 {
		return fmt.Sprintf("SUBSYS_%d:%d", s, v&(1<<subsysShift-1))
	}
	return fmt.Sprintf("REASON_%d", v)
}

// ReasonValue finds the value of a reason name, case-insensitively, with
// or without the SKB_DROP_REASON_ prefix.
func (f *Format) ReasonValue(name string) (uint32, bool) {
	name = normalizeReason(name)
	for v, n := range f.Reasons {
		if normalizeReason(n) == name {
			return v, true
		}
	}
	var v, sub uint32
	if _, err := fmt.Sscanf(name, "REASON_%d", &v); err == nil && f.ReasonName(v) == name {
		return v, true
	}
	if _, err := fmt.Sscanf(name, "SUBSYS_%d:%d", &sub, &v); err == nil && sub < 1<<16 && v < 1<<subsysShift {
		if r := sub<<subsysShift | v; f.ReasonName(r) == name {
			return r, true
		}
	}
	return 0, false
}

// ReasonNames lists the known reason names in value order.
func (f *Format) ReasonNames() []string {
	vs := make([]uint32, 0, len(f.Reasons))
	for v := range f.Reasons {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = f.Reasons[v]
	}
	return out
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
