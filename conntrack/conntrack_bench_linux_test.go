package conntrack

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	ct "github.com/florianl/go-conntrack"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// conntrackFill creates n UDP entries 198.18.x.y:port -> 198.19.0.1:53 in
// ns through ctnetlink, with a 10-minute timeout.
func conntrackFill(tb testing.TB, ns *nsutil.NetNS, n int) {
	tb.Helper()
	nf, err := conntrackOpen(ns)
	if err != nil {
		tb.Fatal(err)
	}
	defer nf.Close()
	dst := net.IPv4(198, 19, 0, 1).To4()
	proto := uint8(17)
	dport := uint16(53)
	timeout := uint32(600)
	for i := 0; i < n; i++ {
		src := net.IPv4(198, 18, byte(i>>16), byte(i>>8)).To4()
		sport := uint16(1024 + i&0xff)
		origin := ct.IPTuple{Src: &src, Dst: &dst, Proto: &ct.ProtoTuple{Number: &proto, SrcPort: &sport, DstPort: &dport}}
		reply := ct.IPTuple{Src: &dst, Dst: &src, Proto: &ct.ProtoTuple{Number: &proto, SrcPort: &dport, DstPort: &sport}}
		if err := nf.Create(ct.Conntrack, ct.IPv4, ct.Con{Origin: &origin, Reply: &reply, Timeout: &timeout}); err != nil {
			tb.Fatalf("create entry %d: %v", i, err)
		}
	}
}

// TestConntrackListBench compares `netdiag conntrack list` with
// `conntrack -L` on a table of NETDIAG_BENCH_ENTRIES (default 200000)
// entries. It is a measurement, not a check: run it by hand, see
// docs/bench/conntrack.md.
//
//	go build -o /tmp/netdiag . && NETDIAG_BENCH_BIN=/tmp/netdiag \
//	  go test -run TestConntrackListBench -v -timeout 10m ./conntrack/
func TestConntrackListBench(t *testing.T) {
	bin := os.Getenv("NETDIAG_BENCH_BIN")
	if bin == "" {
		t.Skip("benchmark; set NETDIAG_BENCH_BIN to a built netdiag")
	}
	testlab.RequireTool(t, "conntrack")
	n := 200000
	if v := os.Getenv("NETDIAG_BENCH_ENTRIES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	name := testlab.NewNetNS(t)
	// A nat rule turns conntrack on in the netns, as kube-proxy's rules do.
	testlab.InNetNS(t, name, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "198.19.255.1", "-j", "DNAT", "--to-destination", "198.19.255.2")
	ns, err := nsutil.Open(testlab.NetNSPath(name))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	start := time.Now()
	conntrackFill(t, ns, n)
	t.Logf("filled %d entries in %s", n, time.Since(start).Round(time.Millisecond))
	measure := func(label string, args ...string) {
		for i := 0; i < 3; i++ {
			cmd := exec.Command(args[0], args[1:]...)
			out, err := os.Create(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdout = out
			var stderr strings.Builder
			cmd.Stderr = &stderr
			s := time.Now()
			err = cmd.Run()
			el := time.Since(s)
			out.Close()
			if err != nil {
				t.Fatalf("%s: %v: %s", label, err, stderr.String())
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			t.Logf("%-28s run %d: wall %6.3fs user %6.3fs sys %6.3fs maxrss %6.1f MiB  %s", label, i+1, el.Seconds(),
				time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds(),
				float64(ru.Maxrss)/1024, strings.TrimSpace(stderr.String()))
		}
	}
	nsArg := testlab.NetNSPath(name)
	measure("conntrack -L", "ip", "netns", "exec", name, "conntrack", "-L")
	measure("netdiag conntrack list", bin, "--node-netns", nsArg, "conntrack", "list")
	measure("netdiag -o json conntrack list", bin, "--node-netns", nsArg, "-o", "json", "conntrack", "list")
	fmt.Fprintln(os.Stderr)
}
