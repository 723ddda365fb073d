package bundle

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"20MiB", 20 << 20, true}, {"20M", 20 << 20, true}, {"20mb", 20 << 20, true},
		{"512KiB", 512 << 10, true}, {"4k", 4096, true}, {"1G", 1 << 30, true},
		{"4096", 4096, true}, {"100b", 100, true}, {" 2 MiB ", 2 << 20, true},
		{"0", 0, false}, {"-1", 0, false}, {"", 0, false}, {"MiB", 0, false},
		{"1.5M", 0, false}, {"10T", 0, false}, {"99999999999999999999G", 0, false},
		{"9000000000G", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
