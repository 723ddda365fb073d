package filter

import (
	"errors"
	"fmt"
	"testing"
)

// 1,000 `host` terms joined by `or` compile to a program the kernel takes
// (libpcap's has 5,759 instructions: every accepting test that cannot
// reach the return gets a ja of its own; here branches share islands), and
// it accepts exactly the packets from or to one of the hosts, over IPv4,
// ARP and RARP, whichever host of the chain it is: the branches of the
// last hosts reach the return through several islands.
func TestOrHostsFitTheKernel(t *testing.T) {
	const n = 1000
	prog, err := Compile(orHosts(n), EN10MB, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(prog); err != nil {
		t.Fatalf("%d instructions: %v", len(prog), err)
	}
	host := func(i int) [4]byte { return [4]byte{198, byte(18 + i>>16), byte(i >> 8), byte(i)} }
	other := [4]byte{198, 19, 255, 254}
	m1, m2 := [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}, [6]byte{0x02, 0, 0, 0, 0, 2}
	checked := 0
	for _, i := range []int{1, 2, 85, 86, 255, 256, 499, 500, 501, 744, 998, 999, 1000, 1001, 1500} {
		want := i >= 1 && i <= n
		for _, p := range []struct {
			kind string
			data []byte
		}{
			{"IPv4 from", ether(m2, m1, 0x0800, ipv4(17, 5, make([]byte, 8), host(i), other, 0))},
			{"IPv4 to", ether(m2, m1, 0x0800, ipv4(6, 5, make([]byte, 20), other, host(i), 0))},
			{"ARP from", ether(m2, m1, 0x0806, arpPkt(1, host(i), other))},
			{"ARP to", ether(m2, m1, 0x0806, arpPkt(2, other, host(i)))},
			{"RARP to", ether(m2, m1, 0x8035, arpPkt(4, other, host(i)))},
		} {
			r, err := Run(prog, p.data, len(p.data), &Meta{})
			if err != nil {
				t.Fatal(err)
			}
			if (r != 0) != want {
				t.Errorf("%s host %d: returns %d, want accepted %v", p.kind, i, r, want)
			}
			checked++
		}
	}
	t.Logf("%d instructions, %d packets checked", len(prog), checked)
}

// Far branches to the same place share an island: the program for 1,000
// hosts has a few returns and jas more than its tests and loads.
func TestIslandsAreShared(t *testing.T) {
	prog, err := Compile(orHosts(1000), EN10MB, 0)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, in := range prog {
		switch {
		case in.Op == opJMP|jJA:
			count["ja"]++
		case in.Op&0x07 == opRET:
			count["ret"]++
		case in.Op&0x07 == opJMP:
			count["test"]++
		default:
			count["other"]++
		}
	}
	// 3 tests per host: IPv4 source, IPv4 destination and ARP/RARP sender
	// (the target tests after the first are shared by IPv4 and ARP).
	if count["test"] > 3*1000+10 || count["ja"]+count["ret"] > 30 {
		t.Errorf("program of %d instructions: %v", len(prog), fmt.Sprint(count))
	}
}

// Beyond the kernel's 4,096 instructions Compile fails with ErrTooLong,
// unless asked for any length (netdiag filter -d, as tcpdump -d prints
// libpcap's longer programs); the VM runs such a program.
func TestTooLongForTheKernel(t *testing.T) {
	expr := orHosts(1500)
	if prog, err := Compile(expr, EN10MB, 0); !errors.Is(err, ErrTooLong) || prog != nil {
		t.Fatalf("%d instructions, error %v; want ErrTooLong", len(prog), err)
	}
	prog, err := Compile(expr, EN10MB, 0, AnyLength())
	if err != nil || len(prog) <= MaxInstructions {
		t.Fatalf("with AnyLength: %d instructions, error %v", len(prog), err)
	}
	last := [4]byte{198, 18, 1500 >> 8, 1500 & 0xff}
	p := ether([6]byte{2}, [6]byte{4}, 0x0800, ipv4(17, 5, make([]byte, 8), [4]byte{198, 19, 0, 1}, last, 0))
	if r, err := Run(prog, p, len(p), &Meta{}); err != nil || r == 0 {
		t.Errorf("packet to the last host: returns %d, %v", r, err)
	}
}
