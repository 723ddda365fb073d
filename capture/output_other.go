//go:build !linux

package capture

import (
	"fmt"
	"os"
	"runtime"
)

// CreateFile is not implemented on this GOOS: its guards against writing
// through a symlink are Linux's.
func CreateFile(name string) (*os.File, error) {
	return nil, fmt.Errorf("create %s: %w: capture files are not implemented on %s", name, ErrNotSupported, runtime.GOOS)
}

func createPublished(name string, init func(*os.File) error) (*os.File, error) {
	return CreateFile(name)
}

// FreeSpace is not implemented on this GOOS.
func FreeSpace(dir string) (uint64, error) {
	return 0, fmt.Errorf("check free space of %s: %w: statfs is not implemented on %s", dir, ErrNotSupported, runtime.GOOS)
}

func rawFd(*os.File) int { return -1 }

func writeRaw(fd int, name string, p []byte) (int, error) {
	return 0, fmt.Errorf("write %s: %w", name, ErrNotSupported)
}
