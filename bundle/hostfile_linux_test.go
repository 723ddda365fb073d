package bundle

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestHostnameOddFiles: etc/hostname that is a FIFO, a huge file or a link
// to a device must neither hang Hostname nor be read whole; the kernel's
// node name stands in.
func TestHostnameOddFiles(t *testing.T) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	kernel := unix.ByteSliceToString(u.Nodename[:])
	for name, create := range map[string]func(p string) error{
		"fifo": func(p string) error { return unix.Mkfifo(p, 0o644) },
		"huge": func(p string) error { // 64 MiB of NUL bytes, sparse
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(64 << 20)
		},
		"link to /dev/zero":    func(p string) error { return os.Symlink("/dev/zero", p) },
		"link to /dev/urandom": func(p string) error { return os.Symlink("/dev/urandom", p) },
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := create(filepath.Join(root, "etc/hostname")); err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() { got <- Hostname(root) }()
			select {
			case h := <-got:
				if h != kernel {
					t.Errorf("Hostname = %.40q (%d bytes), want the kernel's %q", h, len(h), kernel)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Hostname still reading after 10s")
			}
		})
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("node-7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if h := Hostname(root); h != "node-7" {
		t.Errorf("Hostname = %q, want node-7", h)
	}
}
