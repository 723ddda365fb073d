package cli

import (
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
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

// TestAnalyzeLive captures in a lab pod while it connects to another pod
// whose iptables drops the SYN, and names the timeout.
func TestAnalyzeLive(t *testing.T) {
	lab := testlab.NewLab(t, 2)
	client, server := lab.Pods[0], lab.Pods[1]
	testlab.InNetNS(t, server.NetNSName, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP")
	ns, err := nsutil.Open(client.NetNS)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	go func() {
		time.Sleep(500 * time.Millisecond) // let the capture start
		_ = ns.Do(func() error {
			c, err := net.DialTimeout("tcp", server.IP+":8080", 2500*time.Millisecond)
			if err == nil {
				c.Close()
			}
			return nil
		})
	}()
	args := append(lab.NetdiagArgs(), "-o", "json", "analyze", "--pod-ip", client.IP, "--duration", "4s", "tcp")
	code, out, stderr := run(t, "", args...)
	if code != ExitProblems {
		t.Fatalf("exit %d; stderr %q; out %s", code, stderr, out)
	}
	var rep struct {
		Findings []struct {
			Pattern  string
			Evidence map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Pattern != "tcp-syn-timeout" || rep.Findings[0].Evidence["server"] != server.IP+":8080" {
		t.Errorf("findings %+v", rep.Findings)
	}
}
