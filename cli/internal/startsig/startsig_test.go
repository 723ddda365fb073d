package startsig

import "testing"

func TestIsCapture(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"netdiag", "capture", "-i", "any"}, true},
		{[]string{"netdiag", "-o", "json", "capture"}, true},
		{[]string{"netdiag", "--node-netns", "/run/netns/x", "-v", "capture", "-w", "f"}, true},
		{[]string{"netdiag", "--host-root=/host", "capture"}, true},
		{[]string{"netdiag", "pods"}, false},
		{[]string{"netdiag", "--node-netns", "capture", "pods"}, false},
		{[]string{"netdiag", "exec", "--pod", "x", "--", "capture"}, false},
		{[]string{"netdiag"}, false},
	} {
		if got := isCapture(tt.args); got != tt.want {
			t.Errorf("isCapture(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
