package nsutil

import (
	"errors"
	"fmt"
	"os"
	"strconv"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrPermission means the caller lacks the privilege to open or enter a netns.
	ErrPermission = errors.New("needs CAP_SYS_ADMIN: run as root")
	// ErrNotFound means the netns or process does not exist (any more).
	ErrNotFound = errors.New("not found")
	// ErrNotNetNS means a path exists but is not a network namespace file.
	ErrNotNetNS = errors.New("not a network namespace file (expected /proc/PID/ns/net or a netns bind mount)")
	// ErrRestore means a thread could not be switched back to its original netns;
	// that thread stays locked and the Go runtime discards it.
	ErrRestore = errors.New("restore original netns")
	// ErrNotSupported means network namespaces do not exist on this GOOS.
	ErrNotSupported = errors.New("not supported")
)

// ID identifies a network namespace by the device and inode of its nsfs file,
// like vishvananda/netns NsHandle.UniqueId. Two handles with the same ID refer
// to the same namespace.
type ID struct{ Dev, Ino uint64 }

// String returns "dev:ino".
func (id ID) String() string {
	return strconv.FormatUint(id.Dev, 10) + ":" + strconv.FormatUint(id.Ino, 10)
}

// NetNS is an open network namespace file. It keeps the namespace alive while
// open. The zero value is not usable; get one from Open, OpenPID or Self.
type NetNS struct {
	f    *os.File
	path string
	id   ID
}

// Path returns the path the namespace was opened from.
func (n *NetNS) Path() string { return n.path }

// ID returns the namespace's (dev, inode).
func (n *NetNS) ID() ID { return n.id }

// Fd returns the open file descriptor. It is valid until Close.
func (n *NetNS) Fd() int { return int(n.f.Fd()) }

// Close closes the namespace file; a namespace nothing else holds then goes away.
func (n *NetNS) Close() error {
	if err := n.f.Close(); err != nil {
		return fmt.Errorf("close netns %s: %w", n.path, err)
	}
	return nil
}

// String returns the path and ID, for messages.
func (n *NetNS) String() string { return n.path + " (" + n.id.String() + ")" }

// Entry is one distinct network namespace found by List.
type Entry struct {
	ID ID
	// Paths are the bind mounts of the namespace (sorted), e.g.
	// /run/netns/NAME; empty when only processes hold it. Bind mounts found in
	// PID 1's mount namespace, when it differs from ours, are given as
	// PROCROOT/1/root/PATH so they can be opened from here.
	Paths []string
	// PIDs are the processes whose procRoot/PID/ns/net is the namespace (sorted),
	// kernel threads included.
	PIDs []int
}
