package filter

import (
	"errors"
	"testing"

	"golang.org/x/net/bpf"
)

// FuzzCompile: the lexer, parser, code generator and optimizer never panic,
// an error means no program, every program is valid classic BPF that the VM
// runs without error on a few packets, and ForKernel gives a loop-free
// program that accepts at least as much.
func FuzzCompile(f *testing.F) {
	f.Add("tcp port 80 and host 198.18.0.1", uint8(0))
	f.Add("vlan 10 and mpls and ip[0] & 0xf != 5", uint8(0))
	f.Add("geneve 10 or vxlan and tcp[ip[0] & 3] = 1", uint8(3))
	f.Add("ip6 protochain 17 and not geneve", uint8(1))
	f.Fuzz(func(t *testing.T, expr string, lti uint8) {
		lt := allLinkTypes[int(lti)%len(allLinkTypes)]
		for _, opts := range [][]Option{nil, {NoOptimize()}} {
			prog, err := Compile(expr, lt, 0, append(opts, HostsFile("testdata/hosts"))...)
			if err != nil {
				if prog != nil {
					t.Fatalf("%q: error %v with a program", expr, err)
				}
				var fe *Error
				if !errors.As(err, &fe) && !errors.Is(err, ErrRejectsAll) {
					t.Fatalf("%q: error of type %T: %v", expr, err, err)
				}
				continue
			}
			if err := Validate(prog); err != nil {
				t.Fatalf("%q (%s): %v", expr, lt, err)
			}
			// What goes to the kernel has no loop and passes at least
			// what the program accepts.
			kprog, exact := ForKernel(prog)
			if kprog == nil || Loops(kprog) || Validate(kprog) != nil || exact == Loops(prog) {
				t.Fatalf("%q (%s): ForKernel gives %d instructions, exact=%v", expr, lt, len(kprog), exact)
			}
			for _, p := range basePackets(lt)[:4] {
				r, err := Run(prog, p.data, p.wire, &p.meta)
				if err != nil {
					t.Fatalf("%q: run: %v", expr, err)
				}
				if k, _ := Run(kprog, p.data, p.wire, &p.meta); (exact && k != r) || (r != 0 && k == 0) {
					t.Fatalf("%q: kernel program returns %d, program %d", expr, k, r)
				}
			}
		}
	})
}

// FuzzParseDDD: the program reader never panics and never returns a program
// with an error.
func FuzzParseDDD(f *testing.F) {
	f.Add("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n")
	f.Add("1\n6 0 0 0")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseDDD(s)
		if err != nil && p != nil {
			t.Fatal("program with error")
		}
		if err == nil {
			_ = Validate(p)
			_, _ = Run(p, []byte{1, 2, 3}, 3, nil)
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		prog []bpf.RawInstruction
		ok   bool
	}{
		{"ret", []bpf.RawInstruction{ins(opRET|retK, 1)}, true},
		{"empty", nil, false},
		{"no ret at end", []bpf.RawInstruction{ins(opLD|mIMM, 1)}, false},
		{"jump out", []bpf.RawInstruction{{Op: opJMP | jJEQ, Jt: 5}, ins(opRET|retK, 0)}, false},
		// libpcap's loops: a ja may go back, but not before the start, and
		// a scratch word read after the back edge must be written on every
		// way round.
		{"ja to itself", []bpf.RawInstruction{ins(opJMP|jJA, 0xffffffff), ins(opRET|retK, 0)}, true},
		{"ja before start", []bpf.RawInstruction{ins(opJMP|jJA, 0xfffffffe), ins(opRET|retK, 0)}, false},
		{"loop reads before write", []bpf.RawInstruction{
			ins(opLD|mIMM, 0), ins(opJMP|jJA, 2), ins(opLDX|mMEM, 0), ins(opRET|retA, 0),
			{Op: opJMP | jJEQ, Jt: 0, Jf: 1}, ins(opJMP|jJA, 0xfffffffc), ins(opST, 0), ins(opRET|retK, 1)}, false},
		{"loop writes before read", []bpf.RawInstruction{
			ins(opLD|mIMM, 0), ins(opJMP|jJA, 2), ins(opLDX|mMEM, 0), ins(opRET|retA, 0),
			{Op: opJMP | jJEQ, Jt: 0, Jf: 2}, ins(opST, 0), ins(opJMP|jJA, 0xfffffffb), ins(opRET|retK, 1)}, true},
		{"mem out of range", []bpf.RawInstruction{ins(opST, 16), ins(opRET|retK, 0)}, false},
		{"mem read before write", []bpf.RawInstruction{ins(opLD|mMEM, 3), ins(opRET|retK, 0)}, false},
		{"mem written", []bpf.RawInstruction{ins(opST, 3), ins(opLD|mMEM, 3), ins(opRET|retA, 0)}, true},
		{"div by zero", []bpf.RawInstruction{ins(opALU|aluDIV, 0), ins(opRET|retK, 0)}, false},
		{"shift 32", []bpf.RawInstruction{ins(opALU|aluLSH, 32), ins(opRET|retK, 0)}, false},
		// The kernel's ancillary loads are known offsets; ld [0xffffffff]
		// is refused by SO_ATTACH_FILTER (EINVAL), so by Validate too.
		{"ancillary protocol", []bpf.RawInstruction{ins(opLD|szH|mABS, skfAdOff+skfAdProtocol), ins(opRET|retA, 0)}, true},
		{"unknown ancillary", []bpf.RawInstruction{ins(opLD|szW|mABS, 0xffffffff), ins(opRET|retK, 0x40000)}, false},
		{"ancillary past max", []bpf.RawInstruction{ins(opLD|szW|mABS, skfAdOff+skfAdMax), ins(opRET|retK, 1)}, false},
	}
	for _, tc := range tests {
		err := Validate(tc.prog)
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestAncillaryLoads(t *testing.T) {
	tests := []struct {
		expr string
		lt   LinkType
		meta Meta
		want uint32
	}{
		{"inbound", EN10MB, Meta{PktType: 0}, DefaultSnaplen},
		{"inbound", EN10MB, Meta{PktType: packetOutgoing}, 0},
		{"outbound", RAW, Meta{PktType: packetOutgoing}, DefaultSnaplen},
		{"ifindex 3", EN10MB, Meta{IfIndex: 3}, DefaultSnaplen},
		{"ifindex 3", EN10MB, Meta{IfIndex: 4}, 0},
	}
	pkt := basePackets(EN10MB)[0]
	for _, tc := range tests {
		prog, err := Compile(tc.expr, tc.lt, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Run(prog, pkt.data, pkt.wire, &tc.meta)
		if err != nil || got != tc.want {
			t.Errorf("%s %s %+v: got %d, %v; want %d", tc.lt, tc.expr, tc.meta, got, err, tc.want)
		}
	}
	// The remaining ancillary fields, loaded directly.
	m := &Meta{Protocol: 0x86dd, VLANTCI: 0x123, VLANPresent: true}
	for off, want := range map[uint32]uint32{skfAdProtocol: 0x86dd, skfAdVLANTag: 0x123, skfAdVLANTagPresent: 1} {
		prog := []bpf.RawInstruction{ins(opLD|szW|mABS, skfAdOff+off), ins(opRET|retA, 0)}
		if got, _ := Run(prog, nil, 0, m); got != want {
			t.Errorf("ancillary %d = %#x, want %#x", off, got, want)
		}
	}
}

func TestErrorPositions(t *testing.T) {
	tests := []struct {
		expr, want string
	}{
		{"tcp port 99999", `illegal port number 99999 > 65535: "99999" at column 10`},
		{"host 198.18.0.1 and", "syntax error: expected a primitive at end of expression (column 20)"},
		{"ip host fe80::1", `'ip' modifier applied to ip6 host: "fe80::1" at column 9`},
		{"tcp[1:3] = 1", `data size must be 1, 2, or 4: "3" at column 7`},
		{"vlan 5000", `VLAN tag 5000 greater than maximum 4095: "5000" at column 6`},
	}
	for _, tc := range tests {
		_, err := Compile(tc.expr, EN10MB, 0)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %s", tc.expr, err, tc.want)
		}
	}
}
