package nsutil

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Open opens a network namespace file: /proc/PID/ns/net, /proc/PID/task/TID/ns/net,
// a bind mount such as /var/run/netns/NAME, or containerd's state-dir netns files
// (…/io.containerd.grpc.v1.cri/netns/cni-UUID).
func Open(path string) (*NetNS, error) {
	// Check the filesystem before opening, so a FIFO or device is never opened.
	var sfs unix.Statfs_t
	if err := unix.Statfs(path, &sfs); err != nil {
		return nil, fmt.Errorf("open netns %s: %w", path, explain(err))
	}
	if uint64(sfs.Type) != nsfsMagic {
		return nil, fmt.Errorf("open netns %s: %w", path, ErrNotNetNS)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open netns %s: %w", path, explain(err))
	}
	id, err := checkNetNS(int(f.Fd()))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open netns %s: %w", path, err)
	}
	return &NetNS{f: f, path: path, id: id}, nil
}

// OpenPID opens the network namespace of process pid (/proc/PID/ns/net).
func OpenPID(pid int) (*NetNS, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("open netns of pid %d: invalid pid", pid)
	}
	return Open("/proc/" + strconv.Itoa(pid) + "/ns/net")
}

// Self opens the network namespace of the calling OS thread
// (/proc/thread-self/ns/net). Unless the goroutine has locked its thread this
// is the netns every thread of the process should be in.
func Self() (*NetNS, error) {
	return Open("/proc/thread-self/ns/net")
}

// nsfsMagic is NSFS_MAGIC from linux/magic.h.
const nsfsMagic = 0x6e736673

// nsGetNSType is NS_GET_NSTYPE from linux/nsfs.h (_IO(0xb7, 0x3)), kernel 4.11+.
const nsGetNSType = 0xb703

// checkNetNS verifies fd is an nsfs file of a network namespace and returns its ID.
func checkNetNS(fd int) (ID, error) {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return ID{}, fmt.Errorf("statfs: %w", err)
	}
	if uint64(sfs.Type) != nsfsMagic {
		return ID{}, ErrNotNetNS
	}
	typ, err := unix.IoctlRetInt(fd, nsGetNSType)
	switch {
	case err == unix.ENOTTY || err == unix.EINVAL:
		// Kernel older than 4.11: trust the nsfs check.
	case err != nil:
		return ID{}, fmt.Errorf("get namespace type: %w", err)
	case typ != unix.CLONE_NEWNET:
		return ID{}, ErrNotNetNS
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return ID{}, fmt.Errorf("stat: %w", err)
	}
	return ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, nil
}

// explain adds advice to the errors users can act on. A *PathError is
// reduced to its errno: callers already name the path.
func explain(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		if hasEffectiveCap(unix.CAP_SYS_ADMIN) && hasEffectiveCap(unix.CAP_SYS_PTRACE) {
			return fmt.Errorf("denied even with CAP_SYS_ADMIN and CAP_SYS_PTRACE (a non-dumpable process, a security module or another user namespace): %w", err)
		}
		return fmt.Errorf("%w: %w", ErrPermission, err)
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESRCH):
		return fmt.Errorf("%w (the process exited or the netns was deleted; check the PID or path): %w", ErrNotFound, err)
	}
	return err
}

// hasEffectiveCap reports whether the calling thread has capability c in its
// effective set.
func hasEffectiveCap(c int) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[c/32].Effective&(1<<(c%32)) != 0
}

// StatID returns the (dev, inode) of the file at path, following symlinks:
// the ID of the netns when path is a netns file. It does not check that it
// is one (see Open).
func StatID(path string) (ID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return ID{}, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return ID{Dev: st.Dev, Ino: st.Ino}, nil
}
