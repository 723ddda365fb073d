// Package trim drops netdiag's own executable pages from memory once they
// have served start-up, so a long capture's peak memory is not start-up's.
//
// Its init runs among the first packages of the binary: Go initialises a
// package as soon as its imports are, in import-path order, and trim
// imports only the lowest layers of the standard library. The heavy
// initialisers (gRPC, protobuf, the printers) come after it, and the
// packages under after/ trim again between them.
// TestTrimRunsBeforeHeavyInits keeps it so.
package trim

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// init trims once before the heavy package initialisers for a command that
// runs long. The packages under after/ trim again at points spread through
// the rest of initialisation: faults map up to 64 KiB of a cached binary
// around each page touched (fault-around), so unbroken initialisation of
// the whole tool would hold most of the image at once, and a capture's
// peak memory would be start-up's.
func init() {
	AtStart()
}

// AtStart trims if this process runs a long command (see LongRunning).
func AtStart() {
	if LongRunning(os.Args) {
		Pages()
	}
}

// LongRunning says whether args run a command that stays up (capture),
// where the pages start-up touched are worth giving back.
func LongRunning(args []string) bool {
	for _, a := range args[min(1, len(args)):] {
		if a == "capture" {
			return true
		}
	}
	return false
}

// Pages unmaps netdiag's own file-backed pages from this process
// (MADV_DONTNEED). Start-up touches several MiB of the static binary
// (package initialisation of the whole tool) that a long capture never uses
// again; pages still needed fault back in from the page cache, which keeps
// them. MADV_PAGEOUT would also evict them, but skips pages under
// writeback, as a freshly copied binary's are: the peak then stayed at
// start-up's in 3 of 25 benchmark runs. It is best effort: errors are
// ignored.
func Pages() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// The mapping is our own read-only executable image, never written:
		// dropping its page-table entries changes residency only.
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}
