package capture

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// ParseDDD reads a classic BPF program in `tcpdump -ddd` format: the number
// of instructions on the first line, then one "code jt jf k" line (decimal)
// per instruction. Blank lines and lines starting with # are ignored.
func ParseDDD(text string) ([]bpf.RawInstruction, error) {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("parse bpf program: empty")
	}
	n, err := strconv.Atoi(lines[0])
	if err != nil || n < 1 || n > 4096 {
		return nil, fmt.Errorf("parse bpf program: first line %q must be the instruction count (1-4096)", lines[0])
	}
	if len(lines)-1 != n {
		return nil, fmt.Errorf("parse bpf program: header says %d instructions, found %d", n, len(lines)-1)
	}
	prog := make([]bpf.RawInstruction, n)
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 {
			return nil, fmt.Errorf("parse bpf program: line %d: want \"code jt jf k\", got %q", i+2, l)
		}
		var v [4]uint64
		for j, s := range f {
			bits := []int{16, 8, 8, 32}[j]
			x, err := strconv.ParseUint(s, 10, bits)
			if err != nil {
				return nil, fmt.Errorf("parse bpf program: line %d: field %d %q: %w", i+2, j+1, s, err)
			}
			v[j] = x
		}
		prog[i] = bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])}
	}
	return prog, nil
}
