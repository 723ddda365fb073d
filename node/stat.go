package node

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Stat is the part of /proc/PID/stat (proc(5)) that identifies a process.
type Stat struct {
	Comm      string
	State     byte   // field 3: R, S, D, Z, X, …
	PPID      int    // field 4
	StartTime uint64 // field 22: clock ticks after boot
}

// ParseStat reads /proc/PID/stat (proc(5)). comm may hold spaces and
// parentheses, so it ends at the last ')'. Malformed input is an error, and
// an error comes with the zero Stat.
func ParseStat(b []byte) (Stat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Stat{}, fmt.Errorf("parse stat: no (comm)")
	}
	s := Stat{Comm: string(b[open+1 : end])}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state), f[1] field 4 (ppid), f[19] field 22 (starttime).
	if len(f) < 20 {
		return Stat{}, fmt.Errorf("parse stat: %d fields after comm, want at least 20", len(f))
	}
	if len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("parse stat: bad state %q", f[0])
	}
	s.State = f[0][0]
	var err error
	if s.PPID, err = strconv.Atoi(f[1]); err != nil {
		return Stat{}, fmt.Errorf("parse stat: ppid: %w", err)
	}
	if s.StartTime, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return Stat{}, fmt.Errorf("parse stat: starttime: %w", err)
	}
	return s, nil
}
