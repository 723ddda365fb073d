package hostfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ReadFile reads the regular file at path, following symlinks, and fails
// with ErrTooLarge when it holds more than limit bytes. /proc and /sys files
// report size 0 and are read until their end, still bounded by limit.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f)
}

// ReadFileNoFollow is ReadFile for a path whose last element must not be a
// symlink (the caller resolved it).
func ReadFileNoFollow(path string, limit int64) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f, err := reopen(fd, path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f)
}

// ReadFileInRoot reads root/rel like ReadFile, with every symlink resolved
// as if root were "/" (openat2 RESOLVE_IN_ROOT, Linux 5.6+): /etc/resolv.conf
// of a host root mounted at /host may link to /run/systemd/resolve/…, which
// is /host/run/systemd/resolve/… here, and a container's absolute link must
// not lead to the node's file of the same name.
func ReadFileInRoot(root, rel string, limit int64) ([]byte, error) {
	f, err := OpenInRoot(root, rel, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f)
}

// Open opens the regular file at path for reading at most limit bytes,
// following symlinks. The file is first opened with O_PATH, which neither
// blocks on a FIFO nor opens a device, and reopened for reading only when
// fstat says it is regular.
func Open(path string, limit int64) (*File, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return reopen(fd, path, limit)
}

// OpenInRoot is Open for root/rel with symlinks resolved inside root (see
// ReadFileInRoot). Before Linux 5.6 absolute links are followed as they are.
func OpenInRoot(root, rel string, limit int64) (*File, error) {
	dir, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(dir)
	path := filepath.Join(root, rel)
	fd, err := unix.Openat2(dir, rel, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err == unix.ENOSYS {
		fd, err = unix.Openat(dir, rel, unix.O_PATH|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return reopen(fd, path, limit)
}

// reopen checks that the O_PATH descriptor fd is a regular file and opens it
// for reading through /proc/self/fd; it closes fd.
func reopen(fd int, path string, limit int64) (*File, error) {
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, &fs.PathError{Op: "open", Path: path, Err: notRegular(st.Mode)}
	}
	if st.Size > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, st.Size, limit)}
	}
	rfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &File{f: os.NewFile(uintptr(rfd), path), left: limit, path: path}, nil
}

// ReadDir lists the directory at path like os.ReadDir, but opens it with
// O_DIRECTORY|O_NONBLOCK so a FIFO or device in its place is refused
// (ENOTDIR) instead of blocking or being opened.
func ReadDir(path string) ([]os.DirEntry, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	d := os.NewFile(uintptr(fd), path)
	defer d.Close()
	ents, err := d.ReadDir(-1)
	slices.SortFunc(ents, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, err
}

// ReadProcInto reads a small procfs file (which reports size 0) at path into
// buf, at most limit bytes, with raw system calls: callers read one for
// every process of the node. The file must be regular; it is opened without
// following a symlink in its last element, and a file over limit fails with
// ErrTooLarge. Use it for procfs only: the open itself is not guarded
// against devices.
func ReadProcInto(buf []byte, path string, limit int) ([]byte, error) {
	buf = buf[:0]
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY, 0)
	if err != nil {
		return buf, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return buf, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return buf, &fs.PathError{Op: "open", Path: path, Err: notRegular(st.Mode)}
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := cap(buf) - len(buf)
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return buf[:limit], &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, limit)}
		}
		// procfs fills the buffer unless the file ended: a short read is the
		// end, and saves a second read per file on nodes with many processes.
		if n == 0 || n < room {
			return buf, nil
		}
	}
}

// notRegular names what the file is instead; a directory is also EISDIR, as
// a read of it would say.
func notRegular(mode uint32) error {
	if mode&unix.S_IFMT == unix.S_IFDIR {
		return fmt.Errorf("%w (%s): %w", ErrNotRegular, typeName(mode), unix.EISDIR)
	}
	return fmt.Errorf("%w (%s)", ErrNotRegular, typeName(mode))
}

func typeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFLNK:
		return "a symlink"
	}
	return "not a file"
}
