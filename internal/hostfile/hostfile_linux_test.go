package hostfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// within fails the test if fn has not returned after 10 s: the reads under
// test must never block (a FIFO) or run on (a device).
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still running after 10s", what)
	}
}

// hostRoot makes a host root with the odd files a node may have where a
// small regular file is expected.
func hostRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "run/systemd/resolve"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "dir"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("node-1\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "run/systemd/resolve/stub-resolv.conf"), []byte("nameserver 127.0.0.53\n"), 0o644))
	must(os.Symlink("/run/systemd/resolve/stub-resolv.conf", filepath.Join(root, "etc/resolv.conf")))
	must(unix.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	must(os.Symlink("/dev/zero", filepath.Join(root, "zero")))
	must(os.Symlink("/dev/urandom", filepath.Join(root, "urandom")))
	must(os.Symlink("fifo", filepath.Join(root, "fifo-link")))
	// Sparse: 8 GiB that read as zeros, on no disk space.
	f, err := os.Create(filepath.Join(root, "huge"))
	must(err)
	must(f.Truncate(8 << 30))
	must(f.Close())
	must(os.WriteFile(filepath.Join(root, "exact"), bytes.Repeat([]byte{'x'}, 100), 0o644))
	return root
}

func TestReadFile(t *testing.T) {
	root := hostRoot(t)
	tests := []struct {
		name    string
		limit   int64
		want    string
		wantErr error
	}{
		{"etc/hostname", 4096, "node-1\n", nil},
		{"exact", 100, strings.Repeat("x", 100), nil},
		{"exact", 99, "", ErrTooLarge},
		{"etc/resolv.conf", 4096, "", os.ErrNotExist}, // its absolute target is not under root here
		{"fifo", 4096, "", ErrNotRegular},
		{"fifo-link", 4096, "", ErrNotRegular},
		{"zero", 4096, "", ErrNotRegular},
		{"urandom", 4096, "", ErrNotRegular},
		{"huge", 1 << 20, "", ErrTooLarge},
		{"dir", 4096, "", ErrNotRegular},
		{"dir", 4096, "", syscall.EISDIR},
		{"missing", 4096, "", os.ErrNotExist},
	}
	for _, tt := range tests {
		within(t, tt.name, func() {
			b, err := ReadFile(filepath.Join(root, tt.name), tt.limit)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || b != nil {
					t.Errorf("ReadFile(%s, %d) = %d bytes, %v; want error %v", tt.name, tt.limit, len(b), err, tt.wantErr)
				}
				if err != nil && !strings.Contains(err.Error(), tt.name) {
					t.Errorf("ReadFile(%s): %q does not name the file", tt.name, err)
				}
				return
			}
			if err != nil || string(b) != tt.want {
				t.Errorf("ReadFile(%s, %d) = %q, %v; want %q", tt.name, tt.limit, b, err, tt.want)
			}
		})
	}
}

func TestReadFileInRoot(t *testing.T) {
	root := hostRoot(t)
	within(t, "etc/resolv.conf", func() {
		b, err := ReadFileInRoot(root, "etc/resolv.conf", 4096)
		if err != nil || string(b) != "nameserver 127.0.0.53\n" {
			t.Errorf("absolute link inside the root: %q, %v", b, err)
		}
	})
	// Links to devices resolve inside the root too: root/dev/zero does not
	// exist here. Make it a FIFO: still refused, never opened.
	if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(root, "dev/zero"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"zero", "fifo", "fifo-link", "huge"} {
		within(t, name, func() {
			if b, err := ReadFileInRoot(root, name, 1<<20); err == nil {
				t.Errorf("ReadFileInRoot(%s) = %d bytes, want an error", name, len(b))
			}
		})
	}
	within(t, "urandom", func() {
		if _, err := ReadFileInRoot(root, "urandom", 4096); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("link to /dev/urandom: %v, want root/dev/urandom not found", err)
		}
	})
}

// TestFIFOWithWriter: a FIFO that a writer holds open and keeps filling is
// refused without reading it.
func TestFIFOWithWriter(t *testing.T) {
	root := hostRoot(t)
	fifo := filepath.Join(root, "fifo")
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // O_RDWR: does not wait for a reader
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("nameserver 192.0.2.1\n")); err != nil {
		t.Fatal(err)
	}
	within(t, "fifo", func() {
		if _, err := ReadFile(fifo, 4096); !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadFile: %v, want ErrNotRegular", err)
		}
		if _, err := ReadProcInto(nil, fifo, 4096); !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadProcInto: %v, want ErrNotRegular", err)
		}
	})
}

func TestOpenStream(t *testing.T) {
	root := hostRoot(t)
	if _, err := Open(filepath.Join(root, "exact"), 60); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Open of 100 bytes with limit 60: %v, want ErrTooLarge", err)
	}
	// A file longer than its size says (procfs files report 0) fails on
	// the read that passes the limit.
	f, err := Open("/proc/self/maps", 64)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if !errors.Is(err, ErrTooLarge) || len(b) != 64 {
		t.Errorf("ReadAll of /proc/self/maps with limit 64: %d bytes, %v", len(b), err)
	}
}

func TestProcFiles(t *testing.T) {
	b, err := ReadFile("/proc/self/status", 1<<20)
	if err != nil || !bytes.Contains(b, []byte("\nPid:")) {
		t.Errorf("ReadFile(/proc/self/status): %v\n%s", err, b)
	}
	if _, err := ReadFile("/proc/self/status", 16); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile(/proc/self/status, 16): %v, want ErrTooLarge", err)
	}
	buf := make([]byte, 0, 8) // grows
	buf, err = ReadProcInto(buf, "/proc/self/stat", 4096)
	if err != nil || !bytes.HasPrefix(buf, []byte(strconv.Itoa(os.Getpid())+" (")) {
		t.Errorf("ReadProcInto(/proc/self/stat): %v %q", err, buf)
	}
	if b, err := ReadProcInto(buf, "/proc/self/stat", 10); !errors.Is(err, ErrTooLarge) || len(b) != 10 {
		t.Errorf("ReadProcInto(/proc/self/stat, 10): %q, %v", b, err)
	}
	if _, err := ReadProcInto(nil, "/proc/self/exe", 10); err == nil {
		t.Errorf("ReadProcInto followed the /proc/self/exe link")
	}
	if _, err := ReadProcInto(nil, "/dev/zero", 1<<20); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadProcInto(/dev/zero): %v, want ErrNotRegular", err)
	}
}

func TestReadDir(t *testing.T) {
	root := hostRoot(t)
	within(t, "fifo", func() {
		if _, err := ReadDir(filepath.Join(root, "fifo")); !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("ReadDir(fifo): %v, want ENOTDIR", err)
		}
	})
	ents, err := ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), "dir etc exact fifo fifo-link huge run urandom zero"; got != want {
		t.Errorf("ReadDir = %s, want %s (sorted)", got, want)
	}
}
