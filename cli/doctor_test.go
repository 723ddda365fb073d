package cli

import "testing"

func TestDoctorUsage(t *testing.T) {
	for _, args := range [][]string{
		{"doctor", "extra"},
		{"doctor", "--check", "no-such-check"},
		{"doctor", "--sample", "0s"},
	} {
		if code, _, stderr := run(t, "", args...); code != ExitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, stderr, ExitUsage)
		}
	}
}
