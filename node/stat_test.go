package node

import (
	"bytes"
	"testing"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Stat
		wantErr bool
	}{
		{"103 (httpd) S 1 103 103 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 1050 1000000 100", Stat{"httpd", 'S', 1, 1050}, false},
		{"4242 (a (weird) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10\n", Stat{"a (weird) name", 'S', 17, 987654}, false},
		{"7 (a) b) (c) R 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 99", Stat{"a) b) (c", 'R', 2, 99}, false},
		{"7 (x) Z 2 0", Stat{}, true},
		{"7 x S 1", Stat{}, true},
		{"garbage", Stat{}, true},
		{"7 (x) SS 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 99", Stat{}, true},
		{"7 (x) S 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 -5", Stat{}, true},
	} {
		got, err := ParseStat([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseStat(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// FuzzParseStat: /proc/PID/stat holds a comm any process may set; the
// parser must never panic, and an error means no result.
func FuzzParseStat(f *testing.F) {
	f.Add([]byte("103 (httpd) S 1 103 103 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 1050 1000000 100"))
	f.Add([]byte("1 ()) R 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0"))
	f.Add([]byte("1 (init) S 0 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5 1000 10\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStat(b)
		if err != nil && st != (Stat{}) {
			t.Errorf("error %v with result %+v", err, st)
		}
		if err == nil && !bytes.Contains(b, []byte("("+st.Comm+")")) {
			t.Errorf("comm %q is not in the input", st.Comm)
		}
	})
}
