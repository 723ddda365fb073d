package trim

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func rssFileKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestPages: the executable's resident pages go (they fault
// back in as the test goes on).
func TestPages(t *testing.T) {
	before := rssFileKiB(t)
	Pages()
	after := rssFileKiB(t)
	if after >= before {
		t.Errorf("RssFile %d kB before, %d kB after: nothing was released", before, after)
	}
}

func TestLongRunning(t *testing.T) {
	for args, want := range map[string]bool{
		"netdiag capture -i eth0":              true,
		"netdiag --node-netns /x capture -w f": true,
		"netdiag doctor":                       false,
		"capture":                              false, // the program name
		"":                                     false,
	} {
		if got := LongRunning(strings.Fields(args)); got != want {
			t.Errorf("LongRunning(%q) = %v, want %v", args, got, want)
		}
	}
}
