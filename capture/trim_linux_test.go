package capture

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

// TestTrimStartupPages: the executable's resident pages go (they fault
// back in as the test goes on).
func TestTrimStartupPages(t *testing.T) {
	before := rssFileKiB(t)
	TrimStartupPages()
	after := rssFileKiB(t)
	if after >= before {
		t.Errorf("RssFile %d kB before, %d kB after: nothing was released", before, after)
	}
}
