//go:build !linux

package hostfile

import (
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// notImplemented is the error of every reader here: the guards this package
// promises (O_PATH, openat2, /proc/self/fd) are Linux's.
func notImplemented(op, path string) error {
	return &fs.PathError{Op: op, Path: path, Err: fmt.Errorf("%w: hostfile is not implemented on %s", ErrNotSupported, runtime.GOOS)}
}

// ReadFile is not implemented on this GOOS.
func ReadFile(path string, limit int64) ([]byte, error) { return nil, notImplemented("open", path) }

// ReadFileNoFollow is not implemented on this GOOS.
func ReadFileNoFollow(path string, limit int64) ([]byte, error) {
	return nil, notImplemented("open", path)
}

// ReadFileInRoot is not implemented on this GOOS.
func ReadFileInRoot(root, rel string, limit int64) ([]byte, error) {
	return nil, notImplemented("open", root+"/"+rel)
}

// Open is not implemented on this GOOS.
func Open(path string, limit int64) (*File, error) { return nil, notImplemented("open", path) }

// OpenInRoot is not implemented on this GOOS.
func OpenInRoot(root, rel string, limit int64) (*File, error) {
	return nil, notImplemented("open", root+"/"+rel)
}

// ReadDir is not implemented on this GOOS.
func ReadDir(path string) ([]os.DirEntry, error) { return nil, notImplemented("open", path) }

// ReadProcInto is not implemented on this GOOS: there is no procfs.
func ReadProcInto(buf []byte, path string, limit int) ([]byte, error) {
	return buf[:0], notImplemented("open", path)
}
