// Package trim drops netdiag's own executable pages from memory once they
// have served start-up, so a long capture's peak memory is not start-up's.
//
// Its init runs among the first packages of the binary: Go initialises a
// package as soon as its imports are, in import-path order, and trim
// imports only the lowest layers of the standard library. The heavy
// initialisers (gRPC, protobuf, Markdown, templates) come after it.
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
// runs long: each page they touch then costs its own 4 KiB, while before
// the trim the kernel maps up to 64 KiB around every page touched in a
// cached binary (fault-around). That halves the peak of a capture, which
// is otherwise reached during start-up.
func init() {
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

// Pages asks the kernel to drop netdiag's own file-backed pages from this
// process (MADV_PAGEOUT, Linux 5.4+). Start-up touches several MiB of the
// static binary (package initialisation of the whole tool) that a long
// capture never uses again; pages still needed fault back in. It is best
// effort: errors are ignored.
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
		// The mapping is our own read-only executable image: advice on it
		// changes residency only, never contents.
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT)
	}
}
