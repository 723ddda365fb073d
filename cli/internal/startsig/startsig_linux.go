package startsig

import (
	"os"
	"os/signal"
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
