package cli

import (
	"bytes"
	"fmt"
	"strconv"
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

// A program longer than the kernel takes is printed like tcpdump -d prints
// libpcap's, and a warning says the kernel refuses it.
func TestFilterCommandTooLongForTheKernel(t *testing.T) {
	var hosts []string
	for i := 1; i <= 1500; i++ {
		hosts = append(hosts, fmt.Sprintf("host 198.18.%d.%d", i>>8, i&0xff))
	}
	var out, errb bytes.Buffer
	code := Main([]string{"netdiag", "filter", "-ddd", strings.Join(hosts, " or ")}, strings.NewReader(""), &out, &errb)
	first, _, _ := strings.Cut(out.String(), "\n")
	n, err := strconv.Atoi(first)
	if code != 0 || err != nil || n <= 4096 || strings.Count(out.String(), "\n") != n+1 {
		t.Fatalf("1,500 host terms: exit %d, program of %q instructions, %d lines", code, first, strings.Count(out.String(), "\n"))
	}
	want := fmt.Sprintf("netdiag: filter: warning: %d instructions, more than the kernel's 4096: a capture cannot attach this program\n", n)
	if errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
}
