package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// testdata/refused.pcap: two connects to closed ports between two test
// netns (198.18.30.1 → .2:8080 and :8081), recorded with tcpdump -i va.
func TestAnalyzeFile(t *testing.T) {
	code, out, stderr := run(t, "", "analyze", "testdata/refused.pcap")
	if code != ExitProblems {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitProblems, stderr)
	}
	for _, want := range []string{
		"17 packets",
		"TCP: 2 connection attempts, 0 established, 2 refused",
		"WARN  tcp-refused: 1 connection attempt(s) to 198.18.30.2:8080 refused",
		"packets: 7, 8",
		"packets: 9, 10",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAnalyzeStdinJSON(t *testing.T) {
	b, err := os.ReadFile("testdata/refused.pcap")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, string(b), "-o", "json", "analyze", "-")
	if code != ExitProblems {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Packets  int
		Findings []struct{ Pattern string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Packets != 17 || len(rep.Findings) != 2 || rep.Findings[0].Pattern != "tcp-refused" {
		t.Errorf("report %+v", rep)
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	if code, _, stderr := run(t, "", "analyze"); code != ExitUsage {
		t.Errorf("no file: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run(t, "", "analyze", "testdata/no-such.pcap"); code != ExitError || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run(t, "not a capture at all", "analyze", "-"); code != ExitError || !strings.Contains(stderr, "not pcap or pcapng") {
		t.Errorf("garbage: exit %d, %q", code, stderr)
	}
}
