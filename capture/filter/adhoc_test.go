package filter

import (
	"os"
	"strings"
	"testing"
)

func TestAdhocDiff(t *testing.T) {
	for _, e := range strings.Split(os.Getenv("EXPRS"), ";") {
		for _, lt := range allLinkTypes {
			o := runOracle(lt, e)
			mine, err := Compile(e, lt, 0)
			if o.err != "" || err != nil {
				if (o.err == "") != (err == nil) {
					t.Errorf("%s %q: oracle err %q, mine %v", lt, e, o.err, err)
				}
				continue
			}
			if Validate(mine) != nil {
				t.Errorf("%s %q: invalid %v", lt, e, Validate(mine))
			}
			p, ra, rb, n, err := explore(lt, o.prog, mine, 300, nil)
			if err != nil || p != nil {
				t.Errorf("%s %q: %v: libpcap %d netdiag %d on %x", lt, e, err, ra, rb, p.data)
			}
			t.Logf("%s %q: %d vs %d insns, %d packets", lt, e, len(mine), len(o.prog), n)
		}
	}
}
