package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilterCommand(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   string
		inStderr string
	}{
		{args: []string{"filter", "-ddd", "ip"}, code: 0, stdout: "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n"},
		{args: []string{"filter", "-dd", "-s", "96", "-y", "RAW", "ip"}, code: 0,
			stdout: "{ 0x30, 0, 0, 0x00000000 },\n{ 0x54, 0, 0, 0x000000f0 },\n{ 0x15, 0, 1, 0x00000040 },\n{ 0x6, 0, 0, 0x00000060 },\n{ 0x6, 0, 0, 0x00000000 },\n"},
		{args: []string{"filter", "-d", "-y", "LINUX_SLL2", "inbound"}, code: 0,
			stdout: "(000) ldb      [10]\n(001) jeq      #0x4             jt 2\tjf 3\n(002) ret      #0\n(003) ret      #262144\n"},
		{args: []string{"filter", "tcp", "and", "port", "99999"}, code: 1, inStderr: "netdiag: filter: illegal port number 99999 > 65535: \"99999\" at column 14"},
		{args: []string{"filter", "tcp", "or"}, code: 1, inStderr: "at end of expression (column 7)"},
		{args: []string{"filter", "-y", "FDDI", "ip"}, code: 2, inStderr: "unsupported"},
		// UTF-8 input is shown as written, and columns count characters.
		{args: []string{"filter", "host", "café"}, code: 1, inStderr: "netdiag: filter: unexpected character: \"é\" at column 9\n"},
		{args: []string{"filter", `host \Zürich and é`}, code: 1, inStderr: "netdiag: filter: unexpected character: \"é\" at column 18\n"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := Main(append([]string{"netdiag"}, tc.args...), strings.NewReader(""), &out, &errb)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
		}
		if tc.stdout != "" {
			if diff := cmp.Diff(tc.stdout, out.String()); diff != "" {
				t.Errorf("%v: stdout (-want +got):\n%s", tc.args, diff)
			}
		}
		if !strings.Contains(errb.String(), tc.inStderr) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, errb.String(), tc.inStderr)
		}
	}
}
