package filter

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// Compiling four times as many alternatives allocates about four times as
// much, in count and in bytes; quadratic growth would be 16 times (issue
// 18: 1,000 `host` terms took 1.5 GB, as every test along the chain copied
// all that the tests before it had found). Allocation is counted, not
// timed: it does not depend on the machine. The bound leaves room for how
// slices and maps grow.
func TestCompileLinearInAlternatives(t *testing.T) {
	shapes := []struct {
		name  string
		n     int
		shape func(n int) string
	}{
		{"host terms joined by or", 500, orHosts},
		{"port terms joined by or", 50, orPorts},
		{"not host terms joined by and", 125, func(n int) string {
			return "not " + strings.ReplaceAll(orHosts(n), " or ", " and not ")
		}},
		{"an address list", 125, func(n int) string {
			return "host (" + strings.ReplaceAll(strings.TrimPrefix(orHosts(n), "host "), " or host ", " or ") + ")"
		}},
		{"nested or", 250, func(n int) string { return strings.Repeat("tcp or (", n) + "udp" + strings.Repeat(")", n) }},
		{"nested parentheses", 1000, nested},
	}
	measure := func(expr string) (count, bytes uint64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := Compile(expr, EN10MB, 0, AnyLength()); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc
	}
	for _, s := range shapes {
		c1, b1 := measure(s.shape(s.n))
		c4, b4 := measure(s.shape(4 * s.n))
		rc, rb := float64(c4)/float64(c1), float64(b4)/float64(b1)
		t.Logf("%s: %d → %d: %.2fx allocations, %.2fx bytes (%d kB)", s.name, s.n, 4*s.n, rc, rb, b4>>10)
		if rc > 6 || rb > 6 {
			t.Errorf("%s: %d terms: %d allocations, %d bytes; %d terms: %d allocations, %d bytes: %s",
				s.name, s.n, c1, b1, 4*s.n, c4, b4, fmt.Sprintf("%.1fx and %.1fx, want about 4x", rc, rb))
		}
	}
}
