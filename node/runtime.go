package node

// runtimePod is one pod sandbox as a container runtime (CRI or Docker) reports it.
type runtimePod struct {
	Source      string // SourceCRI or SourceDocker
	SandboxID   string
	Namespace   string
	Name        string
	UID         string
	State       string // "ready", "notready"
	CreatedAt   int64  // nanoseconds, to pick the newest sandbox of a pod
	IPs         []string
	PID         int
	NetNSPath   string // as the runtime reports it, in the host's mount namespace
	HostNetwork bool
	Containers  []Container
}
