package nfexpr

import "testing"

func TestVerdictString(t *testing.T) {
	for code, want := range map[int32]string{
		0: "drop", 1: "accept", 2: "stolen", 3 | 7<<16: "queue 7", 4: "repeat", 5: "stop",
		-1: "continue", -2: "break", -5: "return", -9: "verdict -9",
		0 | 1<<16: "drop", // NF_DROP_ERR: the errno rides in the upper bits
	} {
		if got := VerdictString(code, ""); got != want {
			t.Errorf("VerdictString(%d) = %q, want %q", code, got, want)
		}
	}
	if got := VerdictString(-3, "KUBE-SERVICES"); got != "jump KUBE-SERVICES" {
		t.Errorf("jump: %q", got)
	}
	if got := VerdictString(-4, "X"); got != "goto X" {
		t.Errorf("goto: %q", got)
	}
}
