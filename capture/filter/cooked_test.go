package filter

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"golang.org/x/net/bpf"
)

// cookedWorld splits a cooked packet into what a SOCK_DGRAM socket's filter
// sees: the network-layer bytes and the kernel's metadata, taken from the
// header. ok is false for headers the kernel cannot produce.
func cookedWorld(lt LinkType, p testPacket) (testPacket, Meta, bool) {
	hdr := 16
	if lt == LINUX_SLL2 {
		hdr = 20
	}
	if len(p.data) < hdr {
		return p, Meta{}, false
	}
	m := p.meta
	switch lt {
	case LINUX_SLL:
		pt := binary.BigEndian.Uint16(p.data[0:])
		if pt > 255 {
			return p, Meta{}, false
		}
		m.PktType = uint8(pt)
		m.Protocol = binary.BigEndian.Uint16(p.data[14:])
	case LINUX_SLL2:
		m.Protocol = binary.BigEndian.Uint16(p.data[0:])
		m.IfIndex = int(binary.BigEndian.Uint32(p.data[4:]))
		m.PktType = p.data[10]
	}
	return testPacket{data: p.data[hdr:], meta: m, wire: p.wire - hdr}, m, true
}

// TestForCookedSocket runs every corpus program for LINUX_SLL and LINUX_SLL2
// on cooked packets, and its kernel rewrite on the same packets without the
// header (with the header's fields as metadata), and wants equal results.
func TestForCookedSocket(t *testing.T) {
	exprs := append(readCorpus(t), generatedCorpus()...)
	for _, lt := range []LinkType{LINUX_SLL, LINUX_SLL2} {
		var compiled, rewritten, packets int
		for _, e := range exprs {
			prog, err := Compile(e, lt, 0, HostsFile("testdata/hosts"))
			if err != nil {
				continue
			}
			compiled++
			if _, ok := ForCookedSocket(prog, lt); ok && Loops(prog) {
				t.Errorf("%s %q: a loop rewritten for the kernel", lt, e)
			}
			// Capture rewrites a loop's unrolled program.
			prog, _ = ForKernel(prog)
			if prog == nil {
				// The kernel refuses the program itself (`pppoes … and
				// ifindex N`: libpcap's ancillary offset moved by the PPPoE
				// header); capture filters in user space.
				continue
			}
			kprog, ok := ForCookedSocket(prog, lt)
			if !ok {
				// Only link-layer bytes beyond the protocol, packet type
				// and interface index (`byte N` reads from the start of
				// the cooked header), and the offsets geneve keeps in
				// scratch words, keep a program out of the kernel.
				expected := false
				for _, w := range []string{"ether", "link", "pppoes", "geneve", "byte "} {
					expected = expected || strings.Contains(e, w)
				}
				if !expected {
					t.Errorf("%s %q: cannot run in the kernel:\n%s", lt, e, dumpString(prog))
				}
				continue
			}
			rewritten++
			if err := Validate(kprog); err != nil {
				t.Fatalf("%s %q: rewritten program invalid: %v", lt, e, err)
			}
			n, bad := compareCooked(lt, prog, kprog, 200)
			packets += n
			if bad != "" {
				t.Errorf("%s %q: %s", lt, e, bad)
			}
		}
		t.Logf("%s: %d programs, %d run in the kernel, %d packets compared", lt, compiled, rewritten, packets)
	}
}

func compareCooked(lt LinkType, prog, kprog []bpf.RawInstruction, limit int) (int, string) {
	queue := basePackets(lt)
	seen := map[uint64]bool{}
	n := 0
	for len(queue) > 0 && n < limit {
		p := queue[0]
		queue = queue[1:]
		kp, m, ok := cookedWorld(lt, p)
		if !ok || seen[p.key()] {
			continue
		}
		seen[p.key()] = true
		n++
		p.meta = m
		want, err1 := Run(prog, p.data, p.wire, &p.meta)
		got, err2 := Run(kprog, kp.data, kp.wire, &kp.meta)
		if err1 != nil || err2 != nil || want != got {
			return n, fmt.Sprintf("cooked packet %x (wire %d, meta %+v) gives %d, %v; the kernel program %d, %v", p.data, p.wire, p.meta, want, err1, got, err2)
		}
		for _, c := range trace(prog, p) {
			queue = append(queue, mutate(p, c)...)
		}
	}
	return n, ""
}

func TestForCookedSocketCases(t *testing.T) {
	tests := []struct {
		expr string
		lt   LinkType
		ok   bool
		want string // the rewritten program, tcpdump -d style, when ok
	}{
		{"ip", LINUX_SLL, true, "(000) ld       [proto]\n(001) jeq      #0x800           jt 2\tjf 3\n(002) ret      #262144\n(003) ret      #0\n"},
		{"inbound", LINUX_SLL2, true, "(000) ld       [type]\n(001) jeq      #0x4             jt 2\tjf 3\n(002) ret      #0\n(003) ret      #262144\n"},
		{"ifindex 7", LINUX_SLL2, true, "(000) ld       [ifidx]\n(001) jeq      #0x7             jt 2\tjf 3\n(002) ret      #262144\n(003) ret      #0\n"},
		{"greater 100", LINUX_SLL, true, "(000) ld       #pktlen\n(001) add      #16\n(002) jge      #0x64            jt 3\tjf 4\n(003) ret      #262144\n(004) ret      #0\n"},
		{"link[2:2] = 1", LINUX_SLL, false, ""},
		{"link[14] = 8", LINUX_SLL, false, ""},
		{"link[ip[0] & 3] = 8", LINUX_SLL2, false, ""},
		{"tcp port 80", EN10MB, false, ""},
		// Inner offsets stored by vxlan count the cooked header.
		{"vxlan and tcp[20] = 1", LINUX_SLL, false, ""},
		{"vxlan", LINUX_SLL, true, ""},
	}
	for _, tc := range tests {
		prog, err := Compile(tc.expr, tc.lt, 0)
		if err != nil {
			t.Fatal(err)
		}
		k, ok := ForCookedSocket(prog, tc.lt)
		if ok != tc.ok {
			t.Errorf("%s %q: ok %v, want %v", tc.lt, tc.expr, ok, tc.ok)
			continue
		}
		if ok && tc.want != "" {
			if diff := gocmp.Diff(tc.want, dumpString(k)); diff != "" {
				t.Errorf("%s %q: kernel program (-want +got):\n%s", tc.lt, tc.expr, diff)
			}
		}
	}
}

func dumpString(prog []bpf.RawInstruction) string {
	var sb strings.Builder
	_ = Dump(&sb, prog, DumpAsm)
	return sb.String()
}
