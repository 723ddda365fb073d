package sockdiag

import (
	"net/netip"
	"testing"
)

func TestSocketAddress(t *testing.T) {
	tests := []struct {
		ap   string
		peer bool
		dual bool
		want string
	}{
		{"0.0.0.0:22", false, false, "0.0.0.0:22"},
		{"0.0.0.0:0", true, false, "0.0.0.0:*"},
		{"[::]:22", false, false, "[::]:22"},
		{"[::]:22", false, true, "*:22"},
		{"[::]:0", true, true, "*:*"},
		{"[::1]:53", false, true, "[::1]:53"},
		{"[::ffff:127.0.0.1]:8080", false, true, "[::ffff:127.0.0.1]:8080"},
		{"198.18.1.1:40000", true, false, "198.18.1.1:40000"},
	}
	for _, tc := range tests {
		got := Address(netip.MustParseAddrPort(tc.ap), "", tc.peer, tc.dual)
		if got != tc.want {
			t.Errorf("Address(%s, peer=%v, dual=%v) = %q, want %q", tc.ap, tc.peer, tc.dual, got, tc.want)
		}
	}
}
