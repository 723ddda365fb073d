package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestReadMatchesTcpdump: `netdiag capture -r FILE FLAGS FILTER` prints what
// `tcpdump -r FILE FLAGS FILTER` prints, line for line, for the lab captures
// of capture/decode/testdata (Ethernet, SLL, SLL2, nanosecond, snaplen 80),
// and -w writes the packets tcpdump selects.
func TestReadMatchesTcpdump(t *testing.T) {
	testlab.RequireTool(t, "tcpdump")
	bin := netdiagBinary(t)
	files, err := filepath.Glob(filepath.Join(testlab.ModuleRoot(t), "capture/decode/testdata/*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	// Clusters are written as tcpdump users type them.
	flagSets := [][]string{{"-nn"}, {"-nn", "-v"}, {"-nn", "-e", "-tttt"}, {"-nn", "-x", "-c", "5"}, {"-nnetttt"}, {"-nnvc5"},
		{"-nnqS"}, {"-nnA#"}, {"-nn", "-AA", "-q", "-v"}}
	filters := []string{"", "tcp", "udp port 53", "icmp or arp", "ip6", "tcp[tcpflags] & tcp-syn != 0", "greater 200", "inbound"}
	env := append(os.Environ(), "TZ=UTC")
	run := func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.Output()
		return string(out), err
	}
	selected := 0
	for _, file := range files {
		for _, flags := range flagSets {
			for _, f := range filters {
				args := append(append([]string{"-r", file}, flags...), strings.Fields(f)...)
				want, werr := run("tcpdump", args...)
				got, gerr := run(bin, append([]string{"capture"}, args...)...)
				if (werr != nil) != (gerr != nil) {
					t.Errorf("%s %v: tcpdump error %v, netdiag error %v", filepath.Base(file), args[2:], werr, gerr)
					continue
				}
				if got != want {
					t.Errorf("%s %v: output differs\n--- tcpdump\n%s--- netdiag\n%s", filepath.Base(file), args[2:], clip(want), clip(got))
				}
			}
		}
		// -w keeps exactly the packets tcpdump keeps.
		dir := t.TempDir()
		tw, nw := filepath.Join(dir, "t.pcap"), filepath.Join(dir, "n.pcap")
		if _, err := run("tcpdump", "-r", file, "-w", tw, "udp or icmp6"); err != nil {
			t.Fatal(err)
		}
		if out, err := run(bin, "capture", "-r", file, "-w", nw, "udp", "or", "icmp6"); err != nil {
			t.Fatalf("netdiag -w: %v %s", err, out)
		}
		a, _ := run("tcpdump", "-nn", "-r", tw)
		b, _ := run("tcpdump", "-nn", "-r", nw)
		selected += len(a)
		if a != b {
			t.Errorf("%s: -w selections differ\n--- tcpdump\n%s--- netdiag\n%s", filepath.Base(file), clip(a), clip(b))
		}
	}
	if selected == 0 {
		t.Error("no capture had packets for the -w filter: the -w comparison proved nothing")
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…\n"
	}
	return s
}
