package stale

import "time"

// DefaultGrace is the time between SIGTERM and SIGKILL.
const DefaultGrace = 10 * time.Second

// killWait bounds the wait for a process to end after SIGKILL.
const killWait = 5 * time.Second

// Outcomes of Kill, one per process.
const (
	OutcomeTerminated = "terminated" // ended after SIGTERM
	OutcomeKilled     = "killed"     // ended after SIGKILL
	OutcomeGone       = "gone"       // had ended before it was signalled
	OutcomeSkipped    = "skipped"    // its PID is now another process: never signalled
	OutcomeFailed     = "failed"     // a signal failed, or it still runs
)

// KillOptions tunes Kill.
type KillOptions struct {
	// Grace is how long processes get to end after SIGTERM before SIGKILL;
	// 0 means DefaultGrace.
	Grace time.Duration
}

// Action is what Kill did to one process.
type Action struct {
	PID         int      `json:"pid"`
	Cmdline     string   `json:"cmdline"`
	PodUID      string   `json:"podUid"`
	ContainerID string   `json:"containerId"`
	Signals     []string `json:"signals"` // sent, in order
	Outcome     string   `json:"outcome"`
	Detail      string   `json:"detail,omitempty"`
}
