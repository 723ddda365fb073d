package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/fleet/frame"
)

// TestAgentFrames: the agent's clock and self-hash answers come as frames
// the plugin's reader accepts, ending with the exit code.
func TestAgentFrames(t *testing.T) {
	for _, tc := range []struct {
		flag string
		typ  frame.Type
	}{{"--clock", frame.Clock}, {"--sha256", frame.Sum}} {
		t.Run(tc.flag, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main([]string{"netdiag", "agent", tc.flag}, strings.NewReader(""), &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			r := frame.NewReader(&out)
			var types []frame.Type
			var payload string
			for {
				f, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				types = append(types, f.Type)
				if f.Type == tc.typ {
					payload = string(f.Payload)
				}
			}
			if len(types) != 2 || types[0] != tc.typ || types[1] != frame.Exit || payload == "" {
				t.Errorf("frames %v (payload %q), want %v then exit", types, payload, tc.typ)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"netdiag", "agent"}, strings.NewReader(""), &out, &errb); code != ExitUsage {
		t.Errorf("agent without a command: exit %d, want %d", code, ExitUsage)
	}
}
