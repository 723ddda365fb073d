// Package startsig catches SIGINT and SIGTERM from package initialisation on
// when the process is `netdiag capture`, so that a signal sent while a
// capture starts stops it with a valid file instead of killing it before its
// handler is installed.
//
// Go installs its own handlers when the runtime starts; until a package
// calls signal.Notify, SIGINT and SIGTERM kill the process. The package
// initialisation of a binary this size takes tens of milliseconds on a
// loaded node, and cli's own init runs last: this package has no
// dependencies of its own but os/signal, so it runs among the first.
package startsig

import (
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// unclaimedWait is how long caught signals wait for the capture to claim
// them; a process that was not a capture after all then gets them back.
const unclaimedWait = 2 * time.Second

var (
	mu      sync.Mutex
	ch      chan os.Signal
	claimed bool
	done    chan struct{}
)

func init() {
	if !isCapture(os.Args) {
		return
	}
	ch = make(chan os.Signal, 8)
	done = make(chan struct{})
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case <-done:
		case <-time.After(unclaimedWait):
			Release()
		}
	}()
}

// Claim returns the channel that has received SIGINT and SIGTERM since the
// process started, or nil when this package did not catch them. The caller
// owns it: it calls signal.Stop on it when done.
func Claim() chan os.Signal {
	mu.Lock()
	defer mu.Unlock()
	if ch == nil || claimed {
		return nil
	}
	claimed = true
	close(done)
	return ch
}

// Release gives signals back to their default action, raising again those
// caught meanwhile: for a process that turns out not to capture (capture
// -r, or a command line misread as capture).
func Release() {
	mu.Lock()
	defer mu.Unlock()
	if ch == nil || claimed {
		return
	}
	claimed = true
	close(done)
	signal.Stop(ch)
	signal.Reset(syscall.SIGINT, syscall.SIGTERM)
	for {
		select {
		case s := <-ch:
			_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
		default:
			return
		}
	}
}

// isCapture reports whether the command line runs the capture command:
// its first word after the global flags (and their values) is "capture".
func isCapture(args []string) bool {
	takesValue := map[string]bool{"o": true, "output": true, "node-netns": true, "host-root": true, "runtime-endpoint": true}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return false
		}
		if !strings.HasPrefix(a, "-") {
			return a == "capture"
		}
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] {
			i++
		}
	}
	return false
}
