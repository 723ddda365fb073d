package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestCaptureCLISmallDisk captures onto a 2 MiB tmpfs mounted in a private
// mount namespace (a shell started with CLONE_NEWNS mounts it, runs netdiag
// and reads the file back before the namespace and its tmpfs go away; the
// host's disks are never filled). Issue 18: with --min-free the disk still
// filled to 0 bytes, the last record was cut, "N packets captured" counted
// packets the file did not hold, and the error said "write X: write X: no
// space left on device".
func TestCaptureCLISmallDisk(t *testing.T) {
	l := newCaptureLab(t)
	bin := netdiagBinary(t)
	for _, tc := range []struct {
		name, floor, format string
		want                *regexp.Regexp
	}{
		{"pcap floor 1M", "1M", "", regexp.MustCompile(`^netdiag: capture stopped: free disk space below the floor: \S+ has \d+ KiB free, the floor is 1024 KiB \(--min-free\); \S+/c.cap ends with its last whole packet$`)},
		{"pcapng floor 1M", "1M", "--pcapng", regexp.MustCompile(`^netdiag: capture stopped: free disk space below the floor: .* \(--min-free\); \S+/c.cap ends with its last whole packet$`)},
		{"pcap disk full", "0", "", regexp.MustCompile(`^netdiag: capture stopped: write \S+/c.cap: no space left on device$`)},
		{"pcapng disk full", "0", "--pcapng", regexp.MustCompile(`^netdiag: capture stopped: write \S+/c.cap: no space left on device$`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			mnt := filepath.Join(out, "mnt")
			if err := os.Mkdir(mnt, 0o700); err != nil {
				t.Fatal(err)
			}
			args := []string{"--node-netns", testlab.NetNSPath(l.nsB), "capture", "-i", l.vethB, "--bpf-file", l.ddd, "--min-free", tc.floor, "-w", mnt + "/c.cap"}
			if tc.format != "" {
				args = append(args, tc.format)
			}
			script := `mount -t tmpfs -o size=2m tmpfs "$MNT" || exit 90
"$BIN" "$@" 2>"$OUT/stderr"
echo $? >"$OUT/netdiag.rc"
tcpdump -nn -r "$MNT/c.cap" >"$OUT/tcpdump.out" 2>"$OUT/tcpdump.err"
echo $? >"$OUT/tcpdump.rc"
df -B1 --output=avail "$MNT" | tail -1 >"$OUT/avail"`
			cmd := exec.Command("sh", append([]string{"-c", script, "sh"}, args...)...)
			cmd.Env = append(os.Environ(), "MNT="+mnt, "OUT="+out, "BIN="+bin)
			cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			read := func(name string) string {
				b, _ := os.ReadFile(filepath.Join(out, name))
				return string(b)
			}
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(read("stderr"), "listening on") {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("netdiag did not start: %s", read("stderr"))
				}
				time.Sleep(20 * time.Millisecond)
			}
			// 40000 records of 80 bytes are 3.2 MB: more than the disk.
			l.send(t, 40000)
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("namespace shell: %v", err)
				}
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the capture did not stop on a full disk: %s", read("stderr"))
			}
			stderr := read("stderr")
			if rc := strings.TrimSpace(read("netdiag.rc")); rc != "1" {
				t.Errorf("netdiag exit %s, want 1: %s", rc, stderr)
			}
			var stops []string
			for _, ln := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(ln, "netdiag: ") && !strings.HasPrefix(ln, "netdiag: listening on") {
					stops = append(stops, ln)
				}
			}
			if len(stops) != 1 || !tc.want.MatchString(stops[0]) {
				t.Errorf("error lines %q, want one matching %s", stops, tc.want)
			}
			if rc := strings.TrimSpace(read("tcpdump.rc")); rc != "0" {
				t.Errorf("tcpdump -r exit %s: %s (the file ends in a cut record)", rc, read("tcpdump.err"))
			}
			inFile := strings.Count(read("tcpdump.out"), "\n")
			m := regexp.MustCompile(`(?m)^(\d+) packets captured$`).FindStringSubmatch(stderr)
			if m == nil || m[1] != strconv.Itoa(inFile) || inFile == 0 {
				t.Errorf("summary %q, the file holds %d packets", m, inFile)
			}
			if tc.floor != "0" {
				avail, _ := strconv.ParseInt(strings.TrimSpace(read("avail")), 10, 64)
				if avail < 1<<20 {
					t.Errorf("%d bytes left free, below the 1 MiB floor", avail)
				}
			}
		})
	}
}
