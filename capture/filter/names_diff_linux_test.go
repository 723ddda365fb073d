package filter

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/netdiag/netdiag/internal/testlab"
)

// Name files for the names test, in 198.18.0.0/15 and documentation
// prefixes. Upper-case lookups check that names match without regard to
// case, as glibc matches them for libpcap.
const (
	namesHosts = `198.18.5.1 node-a.test
2001:db8::5:1 node-a.test
198.18.5.2 node-b.test
2001:db8::5:3 node-c.test
`
	namesEthers = `02:00:5e:10:00:01 node-a.test
2:0:5e:10:0:4 gw-only.test
`
	namesNetworks = `# name number aliases
pods-net 198.18.0.0 pods
svc-net 10.96
ten 10
linklocal 169.254.0.0
default 0.0.0.0
`
)

// namesOracle compiles with tcpdump in a private mount namespace where an
// overlay on /etc holds the name files: the host's /etc is not touched, and
// tcpdump resolves through glibc (hosts, ether_hostton, getnetbyname) as on
// a node.
func namesOracle(t *testing.T, upper string, lt LinkType, expr string) oracleResult {
	work := t.TempDir()
	script := `mount --make-rprivate / && mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc && shift 2 && exec tcpdump "$@"`
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, "sh", upper, work, "-ddd", "-y", lt.String(), "--", expr)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if !strings.HasPrefix(msg, "tcpdump: ") {
			t.Fatalf("run tcpdump with test name files: %v: %s", err, msg)
		}
		return oracleResult{err: msg}
	}
	p, err := ParseDDD(out.String())
	if err != nil {
		t.Fatalf("%q: unparsable oracle output: %v", expr, err)
	}
	return oracleResult{prog: p}
}

// TestDifferentialNames compares `ether host NAME` (ethers(5)), `net NAME`
// (networks(5)), host names and `gateway NAME` with libpcap reading the same
// files.
func TestDifferentialNames(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "tcpdump", "unshare")
	dir := t.TempDir()
	files := map[string]string{"hosts": namesHosts, "ethers": namesEthers, "networks": namesNetworks}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := []Option{HostsFile(filepath.Join(dir, "hosts")), EthersFile(filepath.Join(dir, "ethers")),
		NetworksFile(filepath.Join(dir, "networks"))}
	exprs := []string{
		"ether host node-a.test", "ether src NODE-A.test", "ether dst host gw-only.test",
		"ether src node-a.test and ether dst gw-only.test", "vlan and ether host node-a.test",
		"not ether host gw-only.test or udp", "ether host nosuch.test", "ether host node-b.test",
		"link src node-a.test", "ether src or dst gw-only.test", "ether src and dst node-a.test",
		"net pods-net", "net PODS", "src net svc-net", "dst net ten", "ip net linklocal",
		"arp net pods-net", "rarp src net ten", "net pods-net and tcp port 80", "not net svc-net",
		"net default", "net nosuch.test", "ip6 net pods-net", "tcp net ten", "link net ten",
		"decnet net svc-net", "host node-a.test", "ip host NODE-A.TEST", "ip6 host node-a.test",
		"src host node-b.test or dst host node-c.test", "arp host node-b.test", "arp host node-c.test",
		"gateway node-a.test", "ip gateway gw-only.test", "gateway nosuch.test",
	}
	var compared, refused int
	for _, lt := range allLinkTypes {
		for _, expr := range exprs {
			name := fmt.Sprintf("%s %q", lt, expr)
			oracle := namesOracle(t, dir, lt, expr)
			mine, err := Compile(expr, lt, 0, opts...)
			// Whether a never-matching expression is an error depends on
			// how much the optimizer proves; the other side must then
			// match nothing.
			if mineAll, oracleAll := errors.Is(err, ErrRejectsAll), oracle.err == "tcpdump: expression rejects all packets"; mineAll || oracleAll {
				prog := oracle.prog
				if oracleAll {
					prog = mine
				}
				if mineAll != oracleAll && prog != nil {
					if p, _, _, _, _ := explore(lt, []bpf.RawInstruction{ins(opRET|retK, 0)}, prog, 300, nil); p != nil {
						t.Errorf("%s: one side proves it rejects all packets, the other accepts %x", name, p.data)
					}
				}
				continue
			}
			if oracle.err != "" || err != nil {
				if oracle.err == "" || err == nil {
					t.Errorf("%s: libpcap: %q, netdiag: %v", name, oracle.err, err)
					continue
				}
				var fe *Error
				if !errors.As(err, &fe) || "tcpdump: "+fe.Msg != oracle.err {
					t.Errorf("%s: libpcap says %q, netdiag %v", name, oracle.err, err)
				}
				refused++
				continue
			}
			p, ra, rb, _, xerr := explore(lt, oracle.prog, mine, 300, nil)
			if xerr != nil {
				t.Errorf("%s: %v", name, xerr)
			} else if p != nil {
				t.Errorf("%s: libpcap returns %d, netdiag %d on packet %x", name, ra, rb, p.data)
			}
			compared++
		}
	}
	t.Logf("%d programs compared, %d refusals with libpcap's message", compared, refused)
	if compared < 60 {
		t.Errorf("only %d programs compared, want at least 60", compared)
	}
}
