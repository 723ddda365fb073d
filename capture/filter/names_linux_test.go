package filter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNameFilesNotRegular: a hosts, ethers or networks file that is a FIFO
// (or a device) is refused with an error naming it, not opened: a filter
// must not hang on the node's files.
func TestNameFilesNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		expr string
		opt  Option
	}{
		{"host node-a.test", HostsFile(fifo)},
		{"ether host node-a.test", EthersFile(fifo)},
		{"net pods-net", NetworksFile(fifo)},
	} {
		_, err := Compile(c.expr, EN10MB, 262144, c.opt)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%q with a FIFO for its name file: err %v, want a not-a-regular-file error", c.expr, err)
		}
	}
	// A missing file has no names: the name is unknown, as libpcap says.
	missing := filepath.Join(dir, "none")
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal(err)
	}
	_, err := Compile("ether host node-a.test", EN10MB, 262144, EthersFile(missing))
	if err == nil || !strings.Contains(err.Error(), "unknown ether host") {
		t.Errorf("missing ethers file: err %v, want unknown ether host", err)
	}
}
