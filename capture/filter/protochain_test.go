package filter

import (
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
	"golang.org/x/net/bpf"
)

// TestProtochainDepth walks IPv6 chains of 0 to 12 destination-options
// headers before TCP. netdiag's loop, like libpcap's, finds TCP behind any
// number of them; ForKernel's unrolled program agrees up to unrollDepth
// headers and passes deeper chains on for the loop to decide in user space.
func TestProtochainDepth(t *testing.T) {
	prog, err := Compile("ip6 protochain 6", EN10MB, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(prog); err != nil {
		t.Fatalf("program is not valid classic BPF: %v", err)
	}
	if !Loops(prog) {
		t.Fatal("protochain compiles without a loop")
	}
	kprog, exact := ForKernel(prog)
	if exact || kprog == nil {
		t.Fatalf("ForKernel returns exact=%v, %d instructions; want an unrolled prefilter", exact, len(kprog))
	}
	if err := Validate(kprog); err != nil || Loops(kprog) {
		t.Fatalf("unrolled program: loops=%v, %v", Loops(kprog), err)
	}
	testlab.RequireTool(t, "tcpdump")
	lib := runOracle(EN10MB, "ip6 protochain 6")
	if lib.err != "" {
		t.Fatal(lib.err)
	}
	v6a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}
	v6b := [16]byte{0xfe, 0x80, 15: 1}
	m1 := [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	m2 := [6]byte{0x02, 0, 0, 0, 0, 2}
	for n := 0; n <= unrollDepth+4; n++ {
		for _, last := range []byte{6, 17} {
			payload := l4(1234, 80, 20)
			nh := last
			for i := 0; i < n; i++ {
				// Alternate 8- and 16-byte destination options headers.
				h := make([]byte, 8*(1+i%2))
				h[0], h[1] = nh, byte(i%2)
				payload = append(h, payload...)
				nh = 60
			}
			pkt := ether(m2, m1, 0x86dd, ipv6(nh, payload, v6a, v6b))
			want := last == 6
			for _, c := range []struct {
				name string
				prog []bpf.RawInstruction
				want bool
			}{
				{"netdiag", prog, want},
				{"libpcap", lib.prog, want},
				// Deeper than the unrolled walk, the kernel passes the packet on.
				{"kernel", kprog, want || n > unrollDepth},
			} {
				got, err := Run(c.prog, pkt, len(pkt), nil)
				if err != nil {
					t.Fatal(err)
				}
				if (got != 0) != c.want {
					t.Errorf("%d extension headers before protocol %d: %s returns %d, want accept=%v", n, last, c.name, got, c.want)
				}
			}
		}
	}
}

// TestProtochainAH checks the AH step against hand-computed results:
// libpcap 1.10 sets the offset to (len+2)*4 from the IP header's start
// instead of adding that to the offset, so only the first AH's next header
// is read where it should be.
func TestProtochainAH(t *testing.T) {
	a, b := [4]byte{198, 18, 0, 1}, [4]byte{198, 18, 0, 2}
	m1 := [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	m2 := [6]byte{0x02, 0, 0, 0, 0, 2}
	ah := func(next, length byte) []byte {
		h := make([]byte, 4*(int(length)+2))
		h[0], h[1] = next, length
		return h
	}
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		// The first AH names TCP as its next header: found.
		{"AH then TCP", append(ah(6, 1), l4(1, 2, 20)...), true},
		// AH, AH, TCP: after the first AH the offset is (1+2)*4 = 12, in
		// the IP header; the "second AH" read there has length byte 0
		// (offset 13) and next header 198 (offset 12, the source
		// address), which ends the walk.
		{"AH AH TCP", append(append(ah(51, 1), ah(6, 1)...), l4(1, 2, 20)...), false},
		{"AH then UDP", append(ah(17, 1), l4(1, 2, 8)...), false},
		{"no next header", append(ah(59, 1), l4(1, 2, 8)...), false},
	}
	prog, err := Compile("ip protochain 6", EN10MB, 0)
	if err != nil {
		t.Fatal(err)
	}
	testlab.RequireTool(t, "tcpdump")
	lib := runOracle(EN10MB, "ip protochain 6")
	if lib.err != "" {
		t.Fatal(lib.err)
	}
	for _, tc := range tests {
		pkt := ether(m2, m1, 0x0800, ipv4(51, 5, tc.payload, a, b, 0))
		for who, p := range map[string][]bpf.RawInstruction{"netdiag": prog, "libpcap": lib.prog} {
			got, err := Run(p, pkt, len(pkt), nil)
			if err != nil {
				t.Fatal(err)
			}
			if (got != 0) != tc.want {
				t.Errorf("%s: %s returns %d, want accept=%v", tc.name, who, got, tc.want)
			}
		}
	}
}
