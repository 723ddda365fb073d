package probe

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/hostfile"
)

// TestResolvConfOddFiles: a resolv.conf that is a FIFO or a link to a
// device is refused at once, never read (`dns --node` hung on a FIFO).
func TestResolvConfOddFiles(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	fifo, zero := filepath.Join(root, "fifo"), filepath.Join(root, "zero")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/fifo", filepath.Join(root, "etc/resolv.conf")); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() error{
		"ReadResolvConfFile(fifo)":      func() error { _, err := ReadResolvConfFile(fifo); return err },
		"ReadResolvConfFile(/dev/zero)": func() error { _, err := ReadResolvConfFile(zero); return err },
		"ReadNodeResolvConf":            func() error { _, err := ReadNodeResolvConf(root); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- read() }()
		select {
		case err := <-done:
			if !errors.Is(err, hostfile.ErrNotRegular) {
				t.Errorf("%s: %v, want ErrNotRegular", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still reading after 10s", name)
		}
	}
}

// TestReadNodeResolvConfInRoot: systemd-resolved's absolute link is
// followed inside the host root, not to this machine's file.
func TestReadNodeResolvConfInRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc", "run/systemd/resolve"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "run/systemd/resolve/stub-resolv.conf"), []byte("nameserver 192.0.2.53\nsearch node.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/run/systemd/resolve/stub-resolv.conf", filepath.Join(root, "etc/resolv.conf")); err != nil {
		t.Fatal(err)
	}
	c, err := ReadNodeResolvConf(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nameservers) != 1 || c.Nameservers[0].String() != "192.0.2.53" || c.Source != filepath.Join(root, "etc/resolv.conf") {
		t.Errorf("read %+v", c)
	}
}
