package cli

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/probe"
)

func TestDNSProbeUsage(t *testing.T) {
	sel := []string{"--pod-ip", "198.18.0.10"}
	tests := []struct {
		args     []string
		inStderr string
	}{
		{[]string{"dns", "kubernetes"}, "needs a pod"},
		{append([]string{"dns"}, sel...), "needs a NAME"},
		{append([]string{"dns"}, append(sel, "a", "b")...), "one NAME"},
		{append([]string{"dns"}, append(sel, "kubernetes", "--type", "BOGUS")...), `unknown DNS type "BOGUS"`},
		{append([]string{"dns"}, append(sel, "a..b")...), "not a valid domain name"},
		{append([]string{"dns"}, append(sel, "kubernetes", "@dns.example")...), "want @IP"},
		{append([]string{"dns"}, append(sel, "kubernetes", "--no-such")...), "flag provided but not defined"},
		{[]string{"dns", "--node", "--pod-ip", "198.18.0.10", "kubernetes"}, "either --node or a pod selector"},
		{[]string{"probe", "198.18.0.11:80"}, "needs a pod"},
		{append([]string{"probe"}, sel...), "one HOST:PORT"},
		{append([]string{"probe"}, append(sel, "198.18.0.11")...), "not HOST:PORT"},
		{append([]string{"probe"}, append(sel, "web:80")...), "not an IP address"},
		{append([]string{"probe"}, append(sel, "198.18.0.11:0")...), "not a port"},
		{append([]string{"probe"}, append(sel, "198.18.0.11:65536")...), "not a port"},
		{append([]string{"probe"}, append(sel, "fd00::1:80")...), "not HOST:PORT"},
		{append([]string{"probe"}, append(sel, "198.18.0.11:80", "--count", "0")...), "--count must be 1..1000"},
		{append([]string{"probe"}, append(sel, "198.18.0.11:80", "--count")...), "flag needs an argument"},
		{append([]string{"probe", "--udp", "--payload", `\x4`}, append(sel, "198.18.0.11:80")...), `\x needs two hex digits`},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, "", tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", tt.args, code, stderr, ExitUsage, tt.inStderr)
		}
	}
}

func TestPositionalArgs(t *testing.T) {
	var got []string
	var typ string
	var tcp bool
	app := NewApp(strings.NewReader(""), &strings.Builder{}, &strings.Builder{})
	for _, c := range app.Commands {
		if c.Name == "dns" {
			c.Action = func(c *ucli.Context) error {
				var err error
				got, err = positionalArgs(c)
				typ, tcp = c.String("type"), c.Bool("tcp")
				return err
			}
		}
	}
	if err := app.Run([]string{"netdiag", "dns", "--pod-ip", "1.2.3.4", "name", "--type=AAAA", "@1.1.1.1", "--tcp", "--", "-x"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"name", "@1.1.1.1", "-x"}, got); diff != "" || typ != "AAAA" || !tcp {
		t.Errorf("args (-want +got):\n%s\ntype %q tcp %v", diff, typ, tcp)
	}
}

func TestUnescape(t *testing.T) {
	got, err := unescape(`a\x00\n\\b`)
	if err != nil || string(got) != "a\x00\n\\b" {
		t.Errorf("unescape: %q, %v", got, err)
	}
}

// warmUp waits until pod netns nsPath can reach ip (a fresh veth drops
// packets for a moment).
func warmUp(t *testing.T, nsPath, ip string) {
	t.Helper()
	ns, err := nsutil.Open(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	for i := 0; i < 25; i++ {
		o, err := probe.UDP(context.Background(), ns, netip.AddrPortFrom(netip.MustParseAddr(ip), 9), []byte("x"), 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind != probe.KindNoAnswer {
			return
		}
	}
	t.Fatalf("%s unreachable from %s", ip, nsPath)
}

func TestProbeCommand(t *testing.T) {
	lab := testlab.NewLab(t, 2)
	src, dst := lab.Pods[0], lab.Pods[1]
	ns, err := nsutil.Open(dst.NetNS)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var ln net.Listener
	if err := ns.Do(func() (err error) { ln, err = net.Listen("tcp4", dst.IP+":8080"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	warmUp(t, src.NetNS, dst.IP)
	base := append(lab.NetdiagArgs(), "probe", "--pod-ip", src.IP)

	code, out, stderr := run(t, "", append(base, dst.IP+":8080", "-c", "2", "-i", "0")...)
	if code != ExitOK || !strings.Contains(out, "2 sent, 2 ok, 0 failed (connected 2)") {
		t.Errorf("open port: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = run(t, "", append(base, dst.IP+":8081", "-c", "1")...)
	if code != ExitProblems || !strings.Contains(out, "refused (RST)") {
		t.Errorf("closed port: exit %d\n%s%s", code, out, stderr)
	}
	// Flags after HOST:PORT apply too.
	code, out, stderr = run(t, "", append(base, dst.IP+":9", "--udp", "-c", "1", "-o", "json")...)
	var rep struct {
		Protocol string
		Sent     int
		Failed   int
		Attempts []struct {
			Result string
			From   string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("udp json: %v\n%s%s", err, out, stderr)
	}
	if code != ExitProblems || rep.Protocol != "udp" || rep.Sent != 1 || rep.Failed != 1 ||
		rep.Attempts[0].Result != "port-unreachable" || rep.Attempts[0].From != dst.IP {
		t.Errorf("udp closed port: exit %d, %+v\n%s", code, rep, stderr)
	}
}

func TestDNSCommand(t *testing.T) {
	lab := testlab.NewLab(t, 2)
	src, dst := lab.Pods[0], lab.Pods[1]
	startCLIDNS(t, dst.NetNS, dst.IP)
	warmUp(t, src.NetNS, dst.IP)
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver "+dst.IP+"\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:2 attempts:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := append(lab.NetdiagArgs(), "dns", "--pod-ip", src.IP)
	jbase := append(append(lab.NetdiagArgs(), "-o", "json"), "dns", "--pod-ip", src.IP)

	type report struct {
		Status     string
		ResolvConf struct {
			Source      string
			Nameservers []string
		}
		Queries []struct{ Name, Rcode string }
		Answer  []struct{ Type, Data string }
		Server  string
	}
	parse := func(code int, out, stderr string) report {
		t.Helper()
		var r report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("exit %d: json: %v\n%s%s", code, err, out, stderr)
		}
		return r
	}
	names := func(r report) []string {
		var out []string
		for _, q := range r.Queries {
			out = append(out, q.Name+" "+q.Rcode)
		}
		return out
	}

	code, out, stderr := run(t, "", append(jbase, "--resolv-conf", conf, "kubernetes.default")...)
	r := parse(code, out, stderr)
	want := []string{"kubernetes.default.default.svc.cluster.local. NXDOMAIN", "kubernetes.default.svc.cluster.local. NOERROR"}
	if diff := cmp.Diff(want, names(r)); code != ExitOK || diff != "" || r.Status != "NOERROR" ||
		len(r.Answer) != 1 || r.Answer[0].Data != "10.96.0.1" || r.Server != dst.IP+":53" {
		t.Errorf("search: exit %d, queries (-want +got):\n%s%+v\n%s", code, diff, r, stderr)
	}

	code, out, stderr = run(t, "", append(base, "--resolv-conf", conf, "kubernetes.default")...)
	for _, s := range []string{";; status: NOERROR", ";; ANSWER SECTION:", "10.96.0.1", ";; SERVER: " + dst.IP + "#53(udp)", "2 queries"} {
		if code != ExitOK || !strings.Contains(out, s) {
			t.Errorf("table: exit %d, output lacks %q:\n%s%s", code, s, out, stderr)
		}
	}

	code, out, stderr = run(t, "", append(jbase, "--resolv-conf", conf, "nosuch")...)
	if r := parse(code, out, stderr); code != ExitError || r.Status != "NXDOMAIN" || len(r.Queries) != 4 || !strings.Contains(stderr, "NXDOMAIN") {
		t.Errorf("nxdomain: exit %d, %+v\n%s", code, r, stderr)
	}

	// @SERVER: the name as given, one query; the resolv.conf is the pod's
	// own, read through its root: the lab's per-pod file has no nameserver
	// line, so glibc's default 127.0.0.1 applies.
	code, out, stderr = run(t, "", append(jbase, "@"+dst.IP, "kubernetes.default.svc.cluster.local")...)
	r = parse(code, out, stderr)
	if code != ExitOK || len(r.Queries) != 1 || r.Status != "NOERROR" ||
		!strings.HasPrefix(r.ResolvConf.Source, "/proc/") || !strings.HasSuffix(r.ResolvConf.Source, "/root/etc/resolv.conf") ||
		!cmp.Equal([]string{"127.0.0.1"}, r.ResolvConf.Nameservers) {
		t.Errorf("@server: exit %d, %+v\n%s", code, r, stderr)
	}
}

// startCLIDNS serves kubernetes.default.svc.cluster.local. A 10.96.0.1 and
// NXDOMAIN for the rest, on ip:53 (UDP) inside the netns at nsPath.
func startCLIDNS(t *testing.T, nsPath, ip string) {
	t.Helper()
	ns, err := nsutil.Open(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var pc net.PacketConn
	if err := ns.Do(func() (err error) { pc, err = net.ListenPacket("udp4", ip+":53"); return err }); err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if q := r.Question[0]; q.Name == "kubernetes.default.svc.cluster.local." && q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.ParseIP("10.96.0.1")})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
}
