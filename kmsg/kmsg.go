package kmsg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Record is one kernel log record.
type Record struct {
	Priority int
	Seq      uint64
	// Since is the record's time after boot (CLOCK_MONOTONIC).
	Since   time.Duration
	Message string
}

// Kinds of lines that name a network failure, and what identifies them.
var patterns = []struct{ kind, substr string }{
	{"conntrack-table-full", "nf_conntrack: table full, dropping packet"},
	{"netdev-refcount", "unregister_netdevice: waiting for"},
	{"neigh-overflow", "neighbour table overflow"},
	{"neigh-overflow", "neighbor table overflow"},
	{"syn-flood", "Possible SYN flooding on port"},
	{"martian-source", "martian source"},
	{"conntrack-hash-chain", "nf_conntrack: hash chain too long"},
}

// Classify returns the kind of a network failure line, or "".
func Classify(msg string) string {
	for _, p := range patterns {
		if strings.Contains(msg, p.substr) {
			return p.kind
		}
	}
	return ""
}

// ParseRecord parses one /dev/kmsg record: "PRI,SEQ,USEC,FLAGS;MESSAGE"
// followed by optional "\n KEY=VALUE" continuation lines.
func ParseRecord(b []byte) (Record, error) {
	head, msg, ok := bytes.Cut(b, []byte(";"))
	if !ok {
		return Record{}, errors.New("kmsg record without ';'")
	}
	if i := bytes.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	f := strings.SplitN(string(head), ",", 5)
	if len(f) < 4 {
		return Record{}, fmt.Errorf("kmsg record header %q: want PRI,SEQ,USEC,FLAGS", clip(string(head)))
	}
	pri, err1 := strconv.Atoi(f[0])
	seq, err2 := strconv.ParseUint(f[1], 10, 64)
	usec, err3 := strconv.ParseUint(f[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return Record{}, fmt.Errorf("kmsg record header %q: %w", clip(string(head)), err)
	}
	return Record{Priority: pri & 7, Seq: seq, Since: time.Duration(usec) * time.Microsecond, Message: unescape(string(msg))}, nil
}

// unescape undoes /dev/kmsg's \xNN escapes of unprintable bytes.
func unescape(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Event counts the lines of one kind.
type Event struct {
	Kind     string    `json:"kind"`
	Count    int       `json:"count"`
	Last     time.Time `json:"last"`
	LastLine string    `json:"lastLine"`
}

// Each calls fn with every record read from r, one per Read as /dev/kmsg
// gives them, until the end of the log (EOF or EAGAIN). Records it cannot
// parse are skipped, and EPIPE (the ring overwrote records not read yet) is
// not an error: reading carries on.
func Each(r io.Reader, fn func(Record)) error {
	buf := make([]byte, 8192) // a record is at most ~1 KiB plus dictionary
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if rec, perr := ParseRecord(buf[:n]); perr == nil {
				fn(rec)
			}
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF), errors.Is(err, syscall.EAGAIN):
			return nil
		case errors.Is(err, syscall.EPIPE):
			continue
		default:
			return fmt.Errorf("read kernel log: %w", err)
		}
	}
}

// inWindow calls fn with the records younger than window (0: all) at now,
// given the wall-clock time of boot.
func inWindow(boot, now time.Time, window time.Duration, fn func(Record, time.Time)) func(Record) {
	return func(rec Record) {
		if at := boot.Add(rec.Since); window == 0 || now.Sub(at) <= window {
			fn(rec, at)
		}
	}
}

// scan reads records from r until EOF or EAGAIN.
func scan(r io.Reader, boot, now time.Time, window time.Duration) ([]Event, error) {
	var out []Event
	idx := map[string]int{}
	err := Each(r, inWindow(boot, now, window, func(rec Record, at time.Time) {
		kind := Classify(rec.Message)
		if kind == "" {
			return
		}
		i, ok := idx[kind]
		if !ok {
			i = len(out)
			idx[kind] = i
			out = append(out, Event{Kind: kind})
		}
		out[i].Count++
		out[i].Last = at.UTC().Truncate(time.Second)
		out[i].LastLine = rec.Message
	}))
	return out, err
}

// ErrNotSupported means there is no kernel log device on this GOOS.
var ErrNotSupported = errors.New("not supported")
