// Command ndflip is a test helper for pod discovery under process churn. Its
// main thread keeps entering a network namespace and leaving it again, so
// that /proc/PID/ns/net of its PID names that netns one moment and another
// the next: what a scanner sees when an exec probe in a pod exits and its PID
// is reused. Started before a pod's own processes, its PID is the lowest of
// the pod's netns, as an exec probe's is after PID wraparound.
//
//	ndflip [--in D] [--out D] [--max D]
//
// It waits for one line on stdin, the path of the netns (/proc/PID/ns/net or a
// bind mount), then flips: inside for a random time up to --in, outside up to
// --out, until stdin ends or --max has passed. It exits from inside the netns.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// /proc/PID/ns/net is the netns of the thread group leader: main must run on
// the main thread, and only there.
func init() { runtime.LockOSThread() }

func main() {
	in := flag.Duration("in", 3*time.Millisecond, "longest stay inside the netns")
	out := flag.Duration("out", time.Millisecond, "longest stay outside it")
	maxRun := flag.Duration("max", 10*time.Minute, "stop flipping after this long")
	flag.Parse()
	if err := run(*in, *out, *maxRun); err != nil {
		fmt.Fprintf(os.Stderr, "ndflip: %v\n", err)
		os.Exit(1)
	}
}

func run(in, out, maxRun time.Duration) error {
	stdin := bufio.NewReader(os.Stdin)
	line, err := stdin.ReadString('\n')
	if err != nil {
		return fmt.Errorf("read netns path: %w", err)
	}
	target, err := unix.Open(strings.TrimSpace(line), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", strings.TrimSpace(line), err)
	}
	home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open own netns: %w", err)
	}
	// The reader runs on another thread; its end is the signal to stop.
	eof := make(chan struct{})
	go func() {
		_, _ = stdin.ReadString(0)
		close(eof)
	}()
	deadline := time.After(maxRun)
	for {
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter netns: %w", err)
		}
		select {
		case <-eof:
			return nil
		case <-deadline:
			return nil
		case <-time.After(rand.N(in + 1)):
		}
		if err := unix.Setns(home, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("leave netns: %w", err)
		}
		time.Sleep(rand.N(out + 1))
	}
}
