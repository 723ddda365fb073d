package stale

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/node"
)

// target is one process Kill works on.
type target struct {
	act     *Action
	start   uint64
	cgroup  string
	pidfd   int // -1 without pidfd_open (kernels before 5.3)
	pending bool
}

// Kill ends exactly the processes of groups: SIGTERM, then SIGKILL to those
// still running after the grace period. Before each signal it checks that the
// PID is still the process Scan saw (same start time, same cgroup), so a PID
// reused by another process is never signalled. Signals go through a pidfd
// opened before that check, so the check and the signal see one process.
// It returns one Action per process; the error is only for a cancelled ctx.
func Kill(ctx context.Context, groups []Group, opts KillOptions) ([]Action, error) {
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	var ts []*target
	var acts []Action
	n := 0
	for _, g := range groups {
		n += len(g.Processes)
	}
	acts = make([]Action, 0, n)
	for _, g := range groups {
		for _, p := range g.Processes {
			acts = append(acts, Action{PID: p.PID, Cmdline: p.Cmdline, PodUID: g.PodUID, ContainerID: g.ContainerID, Signals: []string{}})
			ts = append(ts, &target{act: &acts[len(acts)-1], start: p.StartTime, cgroup: p.Cgroup, pidfd: -1})
		}
	}
	defer func() {
		for _, t := range ts {
			if t.pidfd >= 0 {
				unix.Close(t.pidfd)
			}
		}
	}()

	self := os.Getpid()
	for _, t := range ts {
		pid := t.act.PID
		if pid <= 1 || pid == self {
			t.act.Outcome, t.act.Detail = OutcomeFailed, "refusing to signal PID "+strconv.Itoa(pid)
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		switch {
		case err == nil:
			t.pidfd = fd
		case errors.Is(err, unix.ESRCH):
			t.act.Outcome, t.act.Detail = OutcomeGone, "had exited before SIGTERM"
			continue
		case errors.Is(err, unix.ENOSYS):
			// No pidfd: the check and kill(2) leave a short window.
		default:
			t.act.Outcome, t.act.Detail = OutcomeFailed, fmt.Sprintf("pidfd_open: %v", err)
			continue
		}
		if t.signal(unix.SIGTERM, OutcomeGone) {
			t.pending = true
		}
	}

	wait(ctx, ts, opts.Grace)
	for _, t := range ts {
		if t.pending && t.ended() {
			t.pending = false
			t.act.Outcome = OutcomeTerminated
		}
	}
	if err := ctx.Err(); err != nil {
		for _, t := range ts {
			if t.pending {
				t.act.Outcome, t.act.Detail = OutcomeFailed, "interrupted before SIGKILL"
			}
		}
		return acts, fmt.Errorf("kill stale processes: %w", err)
	}
	for _, t := range ts {
		if t.pending && !t.signal(unix.SIGKILL, OutcomeTerminated) {
			t.pending = false
		}
	}
	wait(context.Background(), ts, killWait)
	for _, t := range ts {
		if !t.pending {
			continue
		}
		if t.ended() {
			t.act.Outcome = OutcomeKilled
		} else {
			t.act.Outcome, t.act.Detail = OutcomeFailed, "still runs after SIGKILL (blocked in the kernel?)"
		}
	}
	return acts, nil
}

// signal checks that the PID is still the process Scan saw, then sends sig.
// A process that has ended gets the outcome ifEnded. It reports whether the
// signal was sent.
func (t *target) signal(sig unix.Signal, ifEnded string) bool {
	same, ended, why := checkSame(t.act.PID, t.start, t.cgroup)
	switch {
	case ended:
		t.act.Outcome = ifEnded
		return false
	case !same && t.pidfd >= 0 && t.ended():
		t.act.Outcome = ifEnded // ended, and its PID is already reused
		return false
	case !same:
		t.act.Outcome, t.act.Detail = OutcomeSkipped, why
		return false
	}
	var err error
	if t.pidfd >= 0 {
		err = unix.PidfdSendSignal(t.pidfd, sig, nil, 0)
	} else {
		err = unix.Kill(t.act.PID, sig)
	}
	if errors.Is(err, unix.ESRCH) {
		t.act.Outcome = ifEnded
		return false
	}
	if err != nil {
		t.act.Outcome, t.act.Detail = OutcomeFailed, fmt.Sprintf("send %s: %v", unix.SignalName(sig), err)
		return false
	}
	t.act.Signals = append(t.act.Signals, unix.SignalName(sig))
	return true
}

// ended reports whether the process has exited (a zombie counts).
func (t *target) ended() bool {
	if t.pidfd >= 0 {
		fds := []unix.PollFd{{Fd: int32(t.pidfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return err == nil && n > 0
	}
	_, ended, _ := checkSame(t.act.PID, t.start, t.cgroup)
	return ended
}

// wait returns when every pending target has ended, after limit, or when
// ctx is done.
func wait(ctx context.Context, ts []*target, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		left := false
		for _, t := range ts {
			if t.pending && !t.ended() {
				left = true
				break
			}
		}
		if !left || ctx.Err() != nil || !time.Now().Before(deadline) {
			return
		}
		var fds []unix.PollFd
		for _, t := range ts {
			if t.pending && t.pidfd >= 0 {
				fds = append(fds, unix.PollFd{Fd: int32(t.pidfd), Events: unix.POLLIN})
			}
		}
		step := 50 * time.Millisecond
		if len(fds) > 0 && len(fds) == countPending(ts) {
			step = 200 * time.Millisecond // woken early by the pidfds
		}
		if d := time.Until(deadline); d < step {
			step = d
		}
		if len(fds) > 0 {
			_, _ = unix.Poll(fds, int(step/time.Millisecond)+1)
		} else {
			select {
			case <-ctx.Done():
			case <-time.After(step):
			}
		}
	}
}

func countPending(ts []*target) int {
	n := 0
	for _, t := range ts {
		if t.pending {
			n++
		}
	}
	return n
}

// checkSame compares the process now at pid with the one Scan saw: its start
// time (field 22 of /proc/PID/stat) and its cgroup. ended is true when no
// process (or a zombie) has that PID.
func checkSame(pid int, start uint64, cgroup string) (same, ended bool, why string) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := readSmall(nil, dir+"/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return false, true, ""
		}
		return false, false, fmt.Sprintf("cannot read %s/stat: %v", dir, err)
	}
	st, err := node.ParseStat(b)
	if err != nil {
		return false, false, err.Error()
	}
	if st.StartTime != start {
		return false, false, fmt.Sprintf("PID %d is now another process (%s, start time %d, not %d)", pid, st.Comm, st.StartTime, start)
	}
	if st.State == 'Z' || st.State == 'X' {
		return false, true, ""
	}
	cg, err := readSmall(nil, dir+"/cgroup")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return false, true, ""
		}
		return false, false, fmt.Sprintf("cannot read %s/cgroup: %v", dir, err)
	}
	info, err := node.ParseCgroup(bytes.NewReader(cg))
	if err != nil {
		return false, false, err.Error()
	}
	if now := primaryCgroup(info); now != cgroup {
		return false, false, fmt.Sprintf("PID %d moved to cgroup %s (was %s)", pid, now, cgroup)
	}
	return true, false, ""
}
