package filter

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/netdiag/netdiag/internal/testlab"
)

var allLinkTypes = []LinkType{EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6}

func readCorpus(t testing.TB) []string {
	f, err := os.Open("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// genPrims are the primitives the generated corpus combines: every primitive
// and qualifier kind.
var genPrims = []string{
	"tcp", "udp", "icmp", "icmp6", "sctp", "ip", "ip6", "arp", "rarp", "igmp", "pim", "vrrp", "esp", "ah",
	"host 198.18.0.1", "src host 198.18.0.2", "dst host 198.18.0.1", "src and dst host 198.18.0.1",
	"ip src 198.18.0.1", "arp dst 198.18.0.2", "net 198.18.0.0/15", "dst net 10.0.0.0/8", "src net 10.1",
	"net 198.18.0.0 mask 255.255.0.0", "host 2001:db8::1", "src net 2001:db8::/32", "dst host fe80::1",
	"ether host 00:11:22:33:44:55", "ether src 02:00:00:00:00:02", "ether dst ff:ff:ff:ff:ff:ff",
	"ether broadcast", "ether multicast", "ip multicast", "ip6 multicast", "ip broadcast",
	"port 80", "port 53", "src port 1234", "dst port 443", "tcp port 80", "udp port 53", "tcp dst port 80",
	"udp src port 5353", "sctp port 9", "portrange 1-1024", "tcp portrange 30000-32767", "src portrange 50-60",
	"ether proto 0x800", "ether proto 0x86dd", "ip proto 17", "ip6 proto 6", "proto 1", "ip proto \\tcp",
	"less 60", "greater 100", "len > 64", "tcp[13] & 2 != 0", "tcp[tcpflags] & tcp-ack != 0",
	"icmp[icmptype] = icmp-echo", "udp[0:2] = 53", "ip[8] > 32", "ip6[6] = 17", "ether[0] & 1 = 1",
	"ip[2:2] > 100", "tcp[2:2] = 80", "icmp6[0] = 128", "vlan", "vlan 10", "mpls", "mpls 100",
	"pppoes", "pppoes 0x11", "pppoed", "inbound", "outbound", "ifindex 2", "stp", "decnet", "geneve", "geneve 10",
}

func generatedCorpus() []string {
	var out []string
	n := len(genPrims)
	for _, p := range genPrims {
		out = append(out, "not "+p)
	}
	ops := []string{"and", "or", "and not", "or not", "&&", "||"}
	for i := 0; i < n; i++ {
		for j := 0; j < 19; j++ {
			k := (i*7 + j*11 + 3) % n
			out = append(out, genPrims[i]+" "+ops[(i+j)%len(ops)]+" "+genPrims[k])
		}
	}
	for i := 0; i < n*5; i++ {
		a, b, c := genPrims[i%n], genPrims[(i*13+5)%n], genPrims[(i*29+17)%n]
		switch i % 4 {
		case 0:
			out = append(out, fmt.Sprintf("%s and (%s or %s)", a, b, c))
		case 1:
			out = append(out, fmt.Sprintf("(%s or %s) and not %s", a, b, c))
		case 2:
			out = append(out, fmt.Sprintf("not (%s and %s) or %s", a, b, c))
		case 3:
			out = append(out, fmt.Sprintf("%s or %s and %s", a, b, c))
		}
	}
	// Qualifier repetition: a bare operand inherits the previous qualifiers.
	for _, q := range []string{"host 198.18.0.1 or 198.18.0.2", "port 80 or 443 or 8080", "src port 53 and not 54",
		"tcp dst port 80 or 8080", "net 10.0.0.0/8 or 192.168.0.0/16", "ip6 host ::1 or fe80::1",
		"ether src 00:11:22:33:44:55 or 02:00:00:00:00:02", "portrange 1-5 or 10-20", "ip proto 6 or 17",
		"host 198.18.0.1 and (198.18.0.2 or 198.18.0.3)", "port 80 and not (443 or 8443)"} {
		out = append(out, q)
	}
	return out
}

// scannerPnames are the protocol keywords of libpcap's scanner.l, aliases
// included; scannerOthers are its other keywords.
var (
	scannerPnames = strings.Fields(`link ether ppp slip fddi tr wlan arp rarp ip sctp tcp udp icmp igmp igrp
		pim vrrp carp radio ip6 icmp6 ah esp atalk aarp decnet lat sca moprc mopdl iso esis es-is isis is-is
		l1 l2 iih lsp snp csnp psnp clnp stp ipx netbeui`)
	scannerOthers = strings.Fields(`host net mask port portrange proto protochain gateway type subtype
		direction dir address1 addr1 address2 addr2 address3 addr3 address4 addr4 ra ta less greater byte
		broadcast multicast len length inbound outbound ifindex vlan mpls pppoed pppoes geneve lane llc metac
		bcc oam oamf4 oamf4ec oamf4sc sc ilmic vpi vci connectmsg metaconnect on ifname rset ruleset rnr
		rulenum srnr subrulenum reason action fisu lssu lsu msu hfisu hlssu hmsu sio opc dpc sls hsio hopc
		hdpc hsls src dst`)
)

// keywordCorpus puts every keyword of libpcap's scanner in the places the
// grammar allows it and in some it does not, so that netdiag compiles what
// libpcap compiles, to the same meaning, and refuses what libpcap refuses.
func keywordCorpus() []string {
	var out []string
	for _, p := range scannerPnames {
		for _, t := range []string{"%s", "not %s", "%s and ip", "%s or arp", "%s proto 5", "%s host 1.2",
			"%s src net 10.0/16", "%s dst net 10", "%s[0] = 1", "%s[2:2] > 3", "%s port 80", "%s broadcast",
			"%s multicast", "%s proto \\tcp", "vlan and %s", "pppoes and %s", "mpls and %s", "ether proto \\%s",
			"%s protochain 6", "%s host 1.2 or 1.3", "%s src and dst 10.1.2.3", "%s net 192.168 mask 255.255"} {
			out = append(out, fmt.Sprintf(t, p))
		}
	}
	for _, k := range scannerOthers {
		for _, t := range []string{"%s", "%s 1", "%s 1.2", "%s foo", "%s and tcp", "not %s", "tcp or %s 5"} {
			out = append(out, fmt.Sprintf(t, k))
		}
	}
	return out
}

type oracleResult struct {
	prog []bpf.RawInstruction
	err  string
}

// runOracle compiles with tcpdump (libpcap) for one link type.
func runOracle(lt LinkType, expr string) oracleResult { return runOracleArgs(lt, expr) }

func runOracleArgs(lt LinkType, expr string, extra ...string) oracleResult {
	args := append([]string{"-ddd", "-y", lt.String()}, extra...)
	cmd := exec.Command("tcpdump", append(args, "--", expr)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return oracleResult{err: strings.TrimSpace(errb.String())}
	}
	p, err := ParseDDD(out.String())
	if err != nil {
		return oracleResult{err: "unparsable oracle output: " + err.Error()}
	}
	return oracleResult{prog: p}
}

type diffCase struct {
	expr   string
	lt     LinkType
	oracle oracleResult
}

var (
	diffOnce  sync.Once
	diffCases []diffCase
)

// oracleCases runs tcpdump once per expression per link type, in parallel.
func oracleCases(t *testing.T) []diffCase {
	testlab.RequireTool(t, "tcpdump")
	diffOnce.Do(func() {
		exprs := append(readCorpus(t), generatedCorpus()...)
		exprs = append(exprs, keywordCorpus()...)
		for _, e := range exprs {
			for _, lt := range allLinkTypes {
				diffCases = append(diffCases, diffCase{expr: e, lt: lt})
			}
		}
		var wg sync.WaitGroup
		work := make(chan int)
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					diffCases[i].oracle = runOracle(diffCases[i].lt, diffCases[i].expr)
				}
			}()
		}
		for i := range diffCases {
			work <- i
		}
		close(work)
		wg.Wait()
	})
	return diffCases
}

// unsupported lists vxlan, which netdiag compiles as libpcap 1.11 does and
// libpcap 1.10 lacks; see docs/bench/filter.md.
func unsupported(expr string) bool {
	for _, s := range []string{"vxlan"} {
		if strings.Contains(expr, s) {
			return true
		}
	}
	return false
}

func TestDifferentialLibpcap(t *testing.T) {
	cases := oracleCases(t)
	exprs := map[string]bool{}
	var fails, accepted, rejected, packets, tolerated, rejectAllDiffers, staleRegs, invalidLikeLibpcap int
	var ratios []float64
	worst := ""
	worstRatio := 0.0
	for _, c := range cases {
		exprs[c.expr] = true
		mine, err := Compile(c.expr, c.lt, 0)
		// Whether a never-matching expression is reported as an error depends
		// on how much the optimizer proves; count those cases, and check the
		// other side still rejects every packet.
		if (c.oracle.err == "tcpdump: expression rejects all packets") != errors.Is(err, ErrRejectsAll) {
			rejectAllDiffers++
			if err == nil {
				if p, _, rb, _, _ := explore(c.lt, []bpf.RawInstruction{ins(opRET|retK, 0)}, mine, 300, nil); p != nil {
					t.Errorf("%s %q: libpcap proves it rejects all packets, netdiag accepts %x (%d)", c.lt, c.expr, p.data, rb)
				}
			}
			continue
		}
		if c.oracle.err != "" {
			rejected++
			if err == nil && !unsupported(c.expr) {
				fails++
				t.Errorf("%s %q: libpcap rejects (%s), netdiag accepts", c.lt, c.expr, c.oracle.err)
			}
			continue
		}
		if err != nil {
			if !unsupported(c.expr) {
				fails++
				t.Errorf("%s %q: libpcap accepts, netdiag rejects: %v", c.lt, c.expr, err)
			}
			continue
		}
		accepted++
		if verr := Validate(mine); verr != nil {
			// `pppoes … and ifindex N` on a cooked link type: libpcap adds
			// the PPPoE offset to the ancillary offset, netdiag does the
			// same, and the kernel refuses both programs (a capture then
			// filters in user space, as libpcap falls back to).
			if oerr := Validate(c.oracle.prog); oerr == nil || oerr.Error() != verr.Error() {
				t.Errorf("%s %q: invalid program: %v", c.lt, c.expr, verr)
			} else {
				invalidLikeLibpcap++
			}
		}
		r := float64(len(mine)) / float64(len(c.oracle.prog))
		ratios = append(ratios, r)
		if r > 1.5 {
			t.Errorf("%s %q: %d instructions, more than 1.5x libpcap's %d", c.lt, c.expr, len(mine), len(c.oracle.prog))
		}
		if r > worstRatio {
			worstRatio, worst = r, fmt.Sprintf("%s %q: %d vs libpcap %d", c.lt, c.expr, len(mine), len(c.oracle.prog))
		}
		// libpcap's optimizer moves loads across each other, which changes
		// the result only when a load runs past the end of the packet; there
		// the reference is libpcap's unoptimized program (tcpdump -O).
		var unopt *oracleResult
		tolerate := func(p testPacket, rb uint32) bool {
			if libpcapQuirk(c.expr, c.oracle.prog, p) == "geneve" {
				staleRegs++
				return true
			}
			if unopt == nil {
				u := runOracleArgs(c.lt, c.expr, "-O")
				unopt = &u
			}
			if unopt.err != "" {
				return false
			}
			ru, err := Run(unopt.prog, p.data, p.wire, &p.meta)
			if err == nil && ru == rb {
				tolerated++
				return true
			}
			return false
		}
		p, ra, rb, n, err := explore(c.lt, c.oracle.prog, mine, 300, tolerate)
		packets += n
		if err != nil {
			fails++
			t.Errorf("%s %q: %v", c.lt, c.expr, err)
		} else if p != nil {
			fails++
			t.Errorf("%s %q: libpcap returns %d, netdiag %d on packet %x (wire %d, meta %+v)", c.lt, c.expr, ra, rb, p.data, p.wire, p.meta)
		}
		if fails > 40 {
			t.Fatal("too many differences")
		}
	}
	t.Logf("tolerated: %d packets where libpcap reads Geneve offset words on a path that never computed them", staleRegs)
	t.Logf("%d programs the kernel refuses, as it refuses libpcap's (the same unknown ancillary load)", invalidLikeLibpcap)
	sort.Float64s(ratios)
	t.Logf("%d expressions × %d link types: %d compiled by both, %d rejected by libpcap, %d packets compared, %d results equal to libpcap's unoptimized program only (loads past the packet end)", len(exprs), len(allLinkTypes), accepted, rejected, packets, tolerated)
	if len(ratios) > 0 {
		t.Logf("%d cases where only one side reports \"expression rejects all packets\"", rejectAllDiffers)
		t.Logf("program length netdiag/libpcap: median %.3f, p90 %.3f, max %.3f (%s)", ratios[len(ratios)/2], ratios[len(ratios)*9/10], worstRatio, worst)
	}
	if len(ratios) > 0 && ratios[len(ratios)/2] > 1.0 {
		t.Errorf("median program length is %.3f of libpcap's, want at most 1", ratios[len(ratios)/2])
	}
	if len(exprs) < 2000 {
		t.Errorf("corpus has %d expressions, want at least 2000", len(exprs))
	}
}

// libpcapQuirk names the reason libpcap's program may legitimately differ
// from netdiag's on p: "geneve" when the packet's path through libpcap's program never computes
// the Geneve offsets, yet the tests after `geneve` read them from scratch
// words, which then hold whatever earlier arithmetic left there (netdiag's
// hold 0); "" otherwise.
func libpcapQuirk(expr string, prog []bpf.RawInstruction, p testPacket) string {
	geneveOffsets := false
	_, err := run(prog, p.data, p.wire, &p.meta, func(pc int) {
		if in := prog[pc]; in.Op == opJMP|jJEQ && in.K == 0x6558 {
			geneveOffsets = true
		}
	})
	if err == nil && strings.Contains(expr, "geneve") && !geneveOffsets {
		return "geneve"
	}
	return ""
}

// TestDifferentialLongChains compares long chains of alternatives with
// libpcap (issue 18): netdiag's program is never longer than libpcap's (so
// where libpcap's fits the kernel, netdiag's does too), and it returns what
// libpcap's returns on every explored packet. These programs are longer
// than a conditional jump reaches, so they also test the islands.
func TestDifferentialLongChains(t *testing.T) {
	testlab.RequireTool(t, "tcpdump")
	exprs := []string{
		orHosts(200),
		orPorts(100),
		"not " + strings.ReplaceAll(orHosts(100), " or ", " and not "),
		"host (" + strings.ReplaceAll(strings.TrimPrefix(orHosts(100), "host "), " or host ", " or ") + ")",
		"(" + orHosts(60) + ") and (" + orPorts(30) + ")",
		"tcp and (" + strings.ReplaceAll(orHosts(80), "host", "src host") + ") or udp dst port 53",
		strings.Repeat("tcp or (", 40) + "udp" + strings.Repeat(")", 40),
		strings.ReplaceAll(orHosts(60), "host 198.", "host 2001:db8::198."),
	}
	for _, expr := range exprs {
		for _, lt := range []LinkType{EN10MB, LINUX_SLL2, RAW} {
			name := fmt.Sprintf("%s %.40q (%d bytes)", lt, expr, len(expr))
			oracle := runOracle(lt, expr)
			mine, err := Compile(expr, lt, 0)
			if oracle.err != "" || err != nil {
				if (oracle.err == "") != (err == nil) {
					t.Errorf("%s: libpcap: %q, netdiag: %v", name, oracle.err, err)
				}
				continue
			}
			if len(mine) > len(oracle.prog) {
				t.Errorf("%s: %d instructions, libpcap %d", name, len(mine), len(oracle.prog))
			}
			if err := Validate(mine); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			accepted := 0
			count := func(p testPacket, rb uint32) bool { return false }
			p, ra, rb, n, err := explore(lt, oracle.prog, mine, 3000, count)
			switch {
			case err != nil:
				t.Errorf("%s: %v", name, err)
			case p != nil:
				t.Errorf("%s: libpcap returns %d, netdiag %d on packet %x (wire %d, meta %+v)", name, ra, rb, p.data, p.wire, p.meta)
			}
			_ = accepted
			t.Logf("%s: %d instructions, libpcap %d; %d packets agree", name, len(mine), len(oracle.prog), n)
		}
	}
}
