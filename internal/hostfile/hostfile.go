package hostfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotRegular means the path is a FIFO, device, socket or directory.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge means the file holds more than the caller's limit.
	ErrTooLarge = errors.New("larger than expected")
	// ErrNotSupported means the node's files cannot be read safely on this
	// GOOS: the guards need O_PATH and openat2, which are Linux's.
	ErrNotSupported = errors.New("not supported")
)

// File is a regular file opened for reading; reading past its limit fails
// with ErrTooLarge.
type File struct {
	f         *os.File
	left      int64 // bytes still allowed
	path      string
	exhausted bool
}

// Read reads like os.File.Read; once limit bytes have been read, reading
// more than the end of the file fails with ErrTooLarge.
func (f *File) Read(p []byte) (int, error) {
	if f.left <= 0 {
		// At the limit: one more byte tells the end from more data.
		var one [1]byte
		n, err := f.f.Read(one[:])
		if n > 0 {
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: ErrTooLarge}
		}
		return 0, err
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.f.Read(p)
	f.left -= int64(n)
	return n, err
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

func readAll(f *File) ([]byte, error) {
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return b, nil
}
