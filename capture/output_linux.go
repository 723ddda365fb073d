package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CreateFile creates a capture file with mode 0600, never through a symlink:
// an existing regular file is removed first (so a hard link to another file
// is not truncated), a symlink or directory is refused, and an existing FIFO
// or character device (/dev/null) is opened for writing.
func CreateFile(name string) (*os.File, error) {
	fi, err := os.Lstat(name)
	switch {
	case err == nil && fi.Mode()&os.ModeSymlink != 0:
		return nil, fmt.Errorf("create %s: it is a symbolic link; refusing to write through it", name)
	case err == nil && fi.Mode().IsRegular():
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("replace %s: %w", name, err)
		}
	case err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeCharDevice) != 0:
		f, err := os.OpenFile(name, os.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		return f, nil
	case err == nil:
		return nil, fmt.Errorf("create %s: not a regular file", name)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return f, nil
}

// createPublished creates name as CreateFile does, but the name appears
// only after init has written to the file (a capture file's header): it is
// made with O_TMPFILE and linked into place, so a capture killed at any
// moment (SIGKILL, during rotation under load) never leaves an empty file
// behind. Where O_TMPFILE is not supported, and for FIFOs and devices, it
// falls back to CreateFile and init right after.
func createPublished(name string, init func(*os.File) error) (*os.File, error) {
	fi, err := os.Lstat(name)
	regular := err == nil && fi.Mode().IsRegular()
	if (err != nil && !errors.Is(err, os.ErrNotExist)) || (err == nil && !regular) {
		return createThenInit(name, init)
	}
	fd, err := unix.Open(filepath.Dir(name), unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		// EOPNOTSUPP, EISDIR (kernels before 3.11), EINVAL: no O_TMPFILE here.
		return createThenInit(name, init)
	}
	f := os.NewFile(uintptr(fd), name)
	if err := init(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	// Replace a regular file by unlinking it (a hard link to another file
	// is not truncated, as in CreateFile); a symlink planted in between
	// makes linkat fail with EEXIST rather than write through it.
	for try := 0; ; try++ {
		if regular || try > 0 {
			if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
				f.Close()
				return nil, fmt.Errorf("replace %s: %w", name, err)
			}
		}
		err = unix.Linkat(fd, "", unix.AT_FDCWD, name, unix.AT_EMPTY_PATH)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPERM) {
			// AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc does not.
			err = unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", fd), unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW)
		}
		if !errors.Is(err, unix.EEXIST) || try > 0 {
			break
		}
		if fi, lerr := os.Lstat(name); lerr != nil || !fi.Mode().IsRegular() {
			break // something else took the name: do not remove it
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("create %s: %w", name, err)
		}
		// No way to link it (no /proc, a filesystem that refuses): the
		// unnamed file is gone; create the name and write the header again.
		return createThenInit(name, init)
	}
	return f, nil
}

// FreeSpace returns the bytes available in dir to unprivileged users (statfs
// f_bavail), the figure df shows.
func FreeSpace(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("check free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// rawFd is f's descriptor for writeRaw.
func rawFd(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if err := rc.Control(func(d uintptr) { fd = int(d) }); err != nil {
		return -1
	}
	return fd
}

// writeRaw writes p to the regular file fd with raw system calls. A write
// to a regular file does not wait for a peer, and an ordinary system call
// wakes the Go runtime's monitor thread each time: at a sender's full rate
// that wake-up cost more CPU than the write itself.
func writeRaw(fd int, name string, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n))
		switch {
		case e == unix.EINTR:
			continue
		case e != 0:
			return n, &os.PathError{Op: "write", Path: name, Err: e}
		case r == 0:
			return n, io.ErrShortWrite
		}
		n += int(r)
	}
	return n, nil
}
