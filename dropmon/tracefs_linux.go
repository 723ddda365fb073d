package dropmon

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// formatPath is the tracepoint's format file below a tracefs root.
const formatPath = "events/skb/kfree_skb/format"

// tracefsMounts lists where tracefs is mounted in the calling thread's
// mount namespace. Not /proc/self: that is the first thread's, which may
// be one that a private read (inPrivateTracefs) left wedged in its own
// namespace. A debugfs "tracing" directory is not used: reading it makes
// the kernel mount tracefs there.
func tracefsMounts() []string {
	f, err := os.Open("/proc/thread-self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 0; sc.Scan() && n < 100000; n++ {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) >= 5 && len(qf) >= 1 && qf[0] == "tracefs" && pf[3] == "/" {
			out = append(out, unescapeMountinfo(pf[4]))
		}
	}
	return out
}

// unescapeMountinfo undoes the octal escapes of mountinfo (\040 for space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readTracefs reads files below the tracefs root: from a tracefs mount of
// this mount namespace when there is one, else from a read-only tracefs
// mounted in a private mount namespace that only one locked thread enters.
// That thread is never unlocked, so the runtime ends it when fn returns
// and the namespace and its mount go with it: nothing outside changes,
// whichever way netdiag ends.
func readTracefs(fn func(root string) error) error {
	// The mounts listed must be the ones fn's thread sees.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var firstErr error
	for _, root := range tracefsMounts() {
		err := fn(root)
		if err == nil {
			return nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	err := inPrivateTracefs(fn)
	if err != nil && firstErr != nil {
		return firstErr
	}
	return err
}

func inPrivateTracefs(fn func(root string) error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			// Nothing changed on this thread: it can go back to the pool.
			runtime.UnlockOSThread()
			done <- fmt.Errorf("tracefs is not mounted and a private mount namespace to mount it in cannot be made: %w", explain(err))
			return
		}
		// From here on the thread stays locked (see readTracefs).
		if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			done <- fmt.Errorf("make the private mount namespace private: %w", explain(err))
			return
		}
		root := "/sys/kernel/tracing"
		if st, err := os.Stat(root); err != nil || !st.IsDir() {
			done <- errors.New("tracefs is not mounted and /sys/kernel/tracing does not exist: mount tracefs (mount -t tracefs nodev /sys/kernel/tracing)")
			return
		}
		if err := unix.Mount("nodev", root, "tracefs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			done <- fmt.Errorf("mount tracefs in a private mount namespace: %w", explain(err))
			return
		}
		done <- fn(root)
	}()
	return <-done
}

// ReadFormat reads the skb:kfree_skb tracepoint's format from tracefs.
func ReadFormat() (*Format, error) {
	var f *Format
	err := readTracefs(func(root string) error {
		b, err := os.ReadFile(filepath.Join(root, formatPath))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("%w: no skb:kfree_skb tracepoint under %s (kernel without CONFIG_TRACEPOINTS?)", ErrNotSupported, root)
			}
			return fmt.Errorf("read tracepoint format: %w", explain(err))
		}
		f, err = ParseFormat(b)
		return err
	})
	return f, err
}

// TracingState is the global tracing state a tracepoint reader must leave
// as it found it: tracefs's switches, enabled events, probes and
// instances, and where tracefs is mounted. Tests compare it before and
// after a run; it is also what -v can show.
func TracingState() (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "tracefs mounts: %q\n", tracefsMounts())
	err := readTracefs(func(root string) error {
		for _, name := range []string{"tracing_on", "current_tracer", "set_event", "events/skb/kfree_skb/enable",
			"events/skb/kfree_skb/filter", "events/skb/enable", "kprobe_events", "uprobe_events", "dynamic_events",
			"buffer_size_kb", "trace_options", "set_event_pid"} {
			v, err := os.ReadFile(filepath.Join(root, name))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", name, explain(err))
			}
			fmt.Fprintf(&b, "%s: %s\n", name, strings.TrimSpace(string(v)))
		}
		ents, err := os.ReadDir(filepath.Join(root, "instances"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("list instances: %w", explain(err))
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "instances: %q\n", names)
		return nil
	})
	return b.String(), err
}

// explain turns a missing privilege into advice.
func explain(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w: needs CAP_SYS_ADMIN and CAP_PERFMON: run as root", err)
	}
	return err
}
