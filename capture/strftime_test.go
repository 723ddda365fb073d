package capture

import (
	"testing"
	"time"
)

func TestStrftime(t *testing.T) {
	ts := time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC)
	for _, tc := range []struct{ in, want string }{
		{"cap-%Y%m%d-%H%M%S.pcap", "cap-20240305-070809.pcap"},
		{"%F_%T", "2024-03-05_07:08:09"},
		{"%s", "1709622489"},
		{"%e|%j|%a %b|%p|%I|%y|%%|%Q|%", " 5|065|Tue Mar|AM|07|24|%|%Q|%"},
		{"plain", "plain"},
	} {
		if got := Strftime(tc.in, ts); got != tc.want {
			t.Errorf("Strftime(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzStrftime(f *testing.F) {
	f.Add("cap-%Y%m%d-%H%M%S.pcap")
	f.Add("%F%T%z%Z%%%")
	f.Fuzz(func(t *testing.T, s string) {
		out := Strftime(s, time.Unix(1709622489, 0).UTC())
		if len(s) > 0 && len(out) == 0 {
			t.Fatalf("%q formatted to nothing", s)
		}
	})
}
