package bundle

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// capWriter keeps the first limit bytes written to it and counts the rest,
// so a renderer can write everything while memory stays bounded. It never
// fails: a renderer must not stop half-way because of the cap.
type capWriter struct {
	limit int64
	buf   bytes.Buffer
	total int64 // bytes offered, kept or not
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.total += int64(len(p))
	if room := w.limit - int64(w.buf.Len()); room > 0 {
		if int64(len(p)) > room {
			w.buf.Write(p[:room])
		} else {
			w.buf.Write(p)
		}
	}
	return len(p), nil
}

// truncated reports whether more was written than kept.
func (w *capWriter) truncated() bool { return w.total > int64(w.buf.Len()) }

// closerRoom is what finish reserves for a closer's suffix.
const closerRoom = 64

// finish returns the text to store. When everything fitted it is what was
// written. Otherwise it is cut after the last whole line that leaves room for
// closer's suffix (which ends open structures, like an iptables table without
// COMMIT) and a "# netdiag: truncated" line saying how much was left out; ok
// is false when not even that note fits in the limit.
func (w *capWriter) finish(closer func(kept []byte) []byte) (out []byte, ok bool) {
	if !w.truncated() {
		return w.buf.Bytes(), true
	}
	noteFor := func(kept int) []byte {
		return fmt.Appendf(nil, "# netdiag: truncated here: %d of %d bytes left out to stay within the size cap\n", w.total-int64(kept), w.total)
	}
	// The longest note is the one for kept = 0.
	reserve := int64(len(noteFor(0))) + closerRoom
	room := w.limit - reserve
	if room < 0 {
		return nil, false
	}
	b := w.buf.Bytes()
	if int64(len(b)) > room {
		b = b[:room]
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	out = append([]byte(nil), b...)
	if closer != nil {
		suffix := closer(out)
		if len(suffix) > closerRoom {
			suffix = suffix[:closerRoom]
		}
		out = append(out, suffix...)
	}
	out = append(out, noteFor(len(b))...)
	return out, true
}

// fitJSON encodes build(n) for the largest n <= total whose indented encoding
// fits in limit, so a list too long for its cap loses its tail but stays valid
// JSON. build must say in its result when n < total. ok is false when not
// even build(0) fits.
func fitJSON(total int, limit int64, build func(n int) any) (out []byte, n int, ok bool, err error) {
	enc := func(n int) ([]byte, error) {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false) // "<redacted>", not "\u003credacted\u003e"
		e.SetIndent("", "  ")
		if err := e.Encode(build(n)); err != nil {
			return nil, fmt.Errorf("encode json: %w", err)
		}
		return b.Bytes(), nil
	}
	b, err := enc(total)
	if err != nil {
		return nil, 0, false, err
	}
	if int64(len(b)) <= limit {
		return b, total, true, nil
	}
	// Largest n in [0, total) that fits; encoded size grows with n.
	lo, hi := -1, total
	var best []byte
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		b, err := enc(mid)
		if err != nil {
			return nil, 0, false, err
		}
		if int64(len(b)) <= limit {
			lo, best = mid, b
		} else {
			hi = mid
		}
	}
	if lo < 0 {
		return nil, 0, false, nil
	}
	return best, lo, true, nil
}

// archive writes the members of a bundle into a tar stream under one top
// directory, spends the content budget and keeps the manifest. The first
// error writing the output sticks in err and turns every later call into a
// no-op: that is the one failure that aborts a bundle.
type archive struct {
	tw    *tar.Writer
	dir   string
	mtime time.Time
	left  int64 // content bytes still allowed by MaxSize
	man   *Manifest
	err   error
}

func (a *archive) put(name string, data []byte) {
	if a.err != nil {
		return
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     a.dir + "/" + name,
		Mode:     0o600,
		Size:     int64(len(data)),
		ModTime:  a.mtime,
		Format:   tar.FormatPAX,
	}
	if err := a.tw.WriteHeader(hdr); err != nil {
		a.err = fmt.Errorf("write bundle member %s: %w", name, err)
		return
	}
	if _, err := a.tw.Write(data); err != nil {
		a.err = fmt.Errorf("write bundle member %s: %w", name, err)
	}
}

// limitFor is what a member may use: its section cap, or less when the
// budget is nearly spent. byBudget tells which one bound it.
func (a *archive) limitFor(sectionCap int64) (limit int64, byBudget bool) {
	if a.left < sectionCap {
		return max(a.left, 0), true
	}
	return sectionCap, false
}

func (a *archive) store(name, desc, format string, data []byte, note string, truncated bool) {
	if a.err != nil {
		return
	}
	a.put(name, data)
	if a.err != nil {
		return
	}
	a.left -= int64(len(data))
	a.man.ContentSize += int64(len(data))
	a.man.Files = append(a.man.Files, File{Name: name, Description: desc, Format: format,
		Size: int64(len(data)), Truncated: truncated, Note: note})
}

// missing records a member that could not be collected, and why.
func (a *archive) missing(name, desc, reason string) {
	if a.err != nil {
		return
	}
	a.man.NotCollected = append(a.man.NotCollected, Missing{Name: name, Description: desc, Reason: reason})
}

func (a *archive) capReason(limit int64, byBudget bool) string {
	if byBudget {
		return fmt.Sprintf("the --max-size budget of %d bytes left only %d bytes", a.man.MaxSize, limit)
	}
	return fmt.Sprintf("the section cap is %d bytes", limit)
}

// addText stores what render writes, cut to the member's limit (see
// capWriter.finish). A render error leaves the member out.
func (a *archive) addText(name, desc string, sectionCap int64, note string, closer func([]byte) []byte, render func(io.Writer) error) {
	if a.err != nil {
		return
	}
	limit, byBudget := a.limitFor(sectionCap)
	w := &capWriter{limit: limit}
	if err := render(w); err != nil {
		a.missing(name, desc, err.Error())
		return
	}
	out, ok := w.finish(closer)
	if !ok {
		a.missing(name, desc, fmt.Sprintf("left out: %d bytes do not fit (%s)", w.total, a.capReason(limit, byBudget)))
		return
	}
	if w.truncated() {
		note = joinNote(note, fmt.Sprintf("truncated: %d of %d bytes kept (%s)", len(out), w.total, a.capReason(limit, byBudget)))
	}
	a.store(name, desc, "text", out, note, w.truncated())
}

// addJSONList stores build(n) for as many of the total items as fit.
func (a *archive) addJSONList(name, desc string, sectionCap int64, note string, total int, build func(n int) any) {
	if a.err != nil {
		return
	}
	limit, byBudget := a.limitFor(sectionCap)
	out, n, ok, err := fitJSON(total, limit, build)
	switch {
	case err != nil:
		a.missing(name, desc, err.Error())
		return
	case !ok:
		a.missing(name, desc, "left out: does not fit ("+a.capReason(limit, byBudget)+")")
		return
	}
	if n < total {
		note = joinNote(note, fmt.Sprintf("truncated: %d of %d items kept (%s)", n, total, a.capReason(limit, byBudget)))
	}
	a.store(name, desc, "json", out, note, n < total)
}

// addJSON stores v whole, or leaves it out when it does not fit.
func (a *archive) addJSON(name, desc string, sectionCap int64, note string, v any) {
	a.addJSONList(name, desc, sectionCap, note, 0, func(int) any { return v })
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// writeManifest adds manifest.json, listing itself with its own size. It is
// not counted against MaxSize.
func (a *archive) writeManifest() {
	if a.err != nil {
		return
	}
	m := a.man
	m.Files = append(m.Files, File{Name: manifestName, Description: "this list: what each file is, what could not be collected and why", Format: "json"})
	self := &m.Files[len(m.Files)-1]
	var b []byte
	// The size is part of the text it measures; a few rounds settle it.
	for range 5 {
		var err error
		b, err = json.MarshalIndent(m, "", "  ")
		if err != nil {
			a.err = fmt.Errorf("encode manifest: %w", err)
			return
		}
		b = append(b, '\n')
		if self.Size == int64(len(b)) {
			break
		}
		self.Size = int64(len(b))
	}
	a.put(manifestName, b)
}
