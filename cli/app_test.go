package cli

import (
	"bytes"
	"strings"
	"testing"
)

// run calls Main as the shell would and returns the exit code and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"netdiag"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"version"}, ExitOK, ""},
		{[]string{"-o", "json", "version"}, ExitOK, ""},
		{[]string{"-o", "yaml", "version"}, ExitUsage, `unsupported output format "yaml"`},
		{[]string{"no-such-command"}, ExitUsage, `no command "no-such-command"`},
		{[]string{"version", "--no-such-flag"}, ExitUsage, "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, "", tt.args...)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tt.args, code, tt.code, stderr)
		}
		if !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("%v: stderr %q does not contain %q", tt.args, stderr, tt.inStderr)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := run(t, "", "-o", "json", "version")
	if code != 0 || !strings.Contains(out, `"version": "`) || !strings.HasSuffix(out, "}\n") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestHoistGlobals(t *testing.T) {
	app := NewApp(nil, nil, nil)
	for _, tt := range []struct{ in, want string }{
		{"netdiag pods -o json", "netdiag -o json pods"},
		{"netdiag -v pods --output=json --pod-ip 198.18.0.1", "netdiag --output=json -v pods --pod-ip 198.18.0.1"},
		{"netdiag capture -v -nn --host-root /x", "netdiag --host-root /x capture -v -nn"},
		{"netdiag exec --pod-ip 198.18.0.1 -- ip -o addr", "netdiag exec --pod-ip 198.18.0.1 -- ip -o addr"},
		{"netdiag conntrack list -o json", "netdiag -o json conntrack list"},
		{"netdiag --node-netns /n version", "netdiag --node-netns /n version"},
		// tcpdump's getopt clusters.
		{"netdiag capture -nr f.pcap", "netdiag capture -n -r f.pcap"},
		{"netdiag capture -nnvvXr f.pcap tcp", "netdiag capture -nn -vv -X -r f.pcap tcp"},
		{"netdiag capture -s0 -c10 -ieth0 -nn", "netdiag capture -s 0 -c 10 -i eth0 -nn"},
		{"netdiag capture -ttttnei any", "netdiag capture -tttt -n -e -i any"},
		{"netdiag capture -nz -vvvv -1", "netdiag capture -nz -vvvv -1"},
	} {
		got := strings.Join(hoistGlobals(app, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
	if code, out, _ := run(t, "", "version", "-o", "json"); code != 0 || !strings.Contains(out, `"version"`) {
		t.Errorf("version -o json: exit %d, %q", code, out)
	}
}
