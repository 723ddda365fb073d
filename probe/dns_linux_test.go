package probe

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

const testResolvConf = "nameserver 198.18.3.2\nsearch a.example b.example c.example\noptions ndots:5 timeout:1 attempts:1\n"

// dnsLab is a client netns (198.18.3.1) wired to a server netns (198.18.3.2)
// running testDNS.
type dnsLab struct {
	client, server string // netns names
	ns             *nsutil.NetNS
	dns            *testDNS
	conf           *ResolvConf
}

func newDNSLab(t *testing.T) *dnsLab {
	t.Helper()
	testlab.RequireRoot(t)
	l := &dnsLab{client: testlab.NewNetNS(t), server: testlab.NewNetNS(t)}
	testlab.VethPair(t, l.client, "198.18.3.1/24", l.server, "198.18.3.2/24")
	l.dns = startTestDNS(t, testlab.NetNSPath(l.server), "198.18.3.2")
	ns, err := nsutil.Open(testlab.NetNSPath(l.client))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	l.ns = ns
	waitLink(t, ns, "198.18.3.2")
	l.conf, err = ParseResolvConf(strings.NewReader(testResolvConf))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// waitLink waits (at most 5 s) until ip answers from ns: a new veth drops
// packets until the kernel has activated its queue, which would turn the
// first query of a test into a timeout.
func waitLink(t *testing.T, ns *nsutil.NetNS, ip string) {
	t.Helper()
	closed := netip.AddrPortFrom(netip.MustParseAddr(ip), 9)
	for i := 0; i < 25; i++ {
		o, err := UDP(context.Background(), ns, closed, []byte("x"), 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind != KindNoAnswer {
			return
		}
	}
	t.Fatalf("%s does not answer from %s", ip, ns.Path())
}

// q is the comparable part of a Query.
type q struct {
	Name, Proto, Rcode string
	Answers            int
	Trunc              bool
	Err                error
}

func queriesOf(r *Result) []q {
	var out []q
	for _, x := range r.Queries {
		out = append(out, q{x.Name, x.Proto, x.Rcode, x.Answers, x.Truncated, x.Err})
	}
	return out
}

func TestLookup(t *testing.T) {
	l := newDNSLab(t)
	nx := func(n string) q { return q{Name: n, Proto: "udp", Rcode: "NXDOMAIN"} }
	tests := []struct {
		name    string
		conf    string // "" for testResolvConf
		in      string
		qtype   uint16
		opts    LookupOptions
		want    []q
		status  string
		wantErr error
		answers int
	}{
		{name: "found in the second search domain", in: "web", qtype: dns.TypeA,
			want:   []q{nx("web.a.example."), {Name: "web.b.example.", Proto: "udp", Rcode: "NOERROR", Answers: 1}},
			status: "NOERROR", answers: 1},
		{name: "NXDOMAIN everywhere", in: "nosuch", qtype: dns.TypeA,
			want:   []q{nx("nosuch.a.example."), nx("nosuch.b.example."), nx("nosuch.c.example."), nx("nosuch.")},
			status: "NXDOMAIN", wantErr: ErrNXDomain},
		{name: "absolute name", in: "nosuch.", qtype: dns.TypeA,
			want: []q{nx("nosuch.")}, status: "NXDOMAIN", wantErr: ErrNXDomain},
		{name: "NODATA for AAAA goes on and is reported", in: "web", qtype: dns.TypeAAAA,
			want:   []q{nx("web.a.example."), {Name: "web.b.example.", Proto: "udp", Rcode: "NOERROR"}, nx("web.c.example."), nx("web.")},
			status: "NODATA", wantErr: ErrNoData},
		{name: "SERVFAIL goes on", in: "sf", qtype: dns.TypeA,
			want:   []q{{Name: "sf.a.example.", Proto: "udp", Rcode: "SERVFAIL"}, nx("sf.b.example."), nx("sf.c.example."), nx("sf.")},
			status: "SERVFAIL", wantErr: ErrServFail},
		{name: "timeout stops the search, then as-is", in: "quiet", qtype: dns.TypeA,
			want:   []q{{Name: "quiet.a.example.", Proto: "udp", Err: ErrTimeout}, nx("quiet.")},
			status: "NXDOMAIN", wantErr: ErrNXDomain},
		{name: "REFUSED stops the search", in: "refused", qtype: dns.TypeA,
			want:   []q{{Name: "refused.a.example.", Proto: "udp", Rcode: "REFUSED"}, nx("refused.")},
			status: "NXDOMAIN", wantErr: ErrNXDomain},
		{name: "slow answer within the timeout", in: "slow.a.example.", qtype: dns.TypeA, opts: LookupOptions{Timeout: 5 * time.Second},
			want: []q{{Name: "slow.a.example.", Proto: "udp", Rcode: "NOERROR", Answers: 1}}, status: "NOERROR", answers: 1},
		{name: "truncated reply retried over TCP", in: "big.example.", qtype: dns.TypeA,
			want:   []q{{Name: "big.example.", Proto: "udp", Rcode: "NOERROR", Trunc: true}, {Name: "big.example.", Proto: "tcp", Rcode: "NOERROR", Answers: 3}},
			status: "NOERROR", answers: 3},
		{name: "forced TCP", in: "web.b.example.", qtype: dns.TypeA, opts: LookupOptions{TCP: true},
			want: []q{{Name: "web.b.example.", Proto: "tcp", Rcode: "NOERROR", Answers: 1}}, status: "NOERROR", answers: 1},
		{name: "no search", in: "web", qtype: dns.TypeA, opts: LookupOptions{NoSearch: true},
			want: []q{nx("web.")}, status: "NXDOMAIN", wantErr: ErrNXDomain},
		{name: "nothing listens on the server port: give up at once", conf: "nameserver 198.18.3.1\nsearch a.example\n", in: "web", qtype: dns.TypeA,
			want:   []q{{Name: "web.a.example.", Proto: "udp", Err: ErrConnRefused}, {Name: "web.a.example.", Proto: "udp", Err: ErrConnRefused}},
			status: "REFUSED", wantErr: ErrConnRefused},
		{name: "first server closed, second answers", conf: "nameserver 198.18.3.1\nnameserver 198.18.3.2\nsearch b.example\n", in: "web", qtype: dns.TypeA,
			want:   []q{{Name: "web.b.example.", Proto: "udp", Err: ErrConnRefused}, {Name: "web.b.example.", Proto: "udp", Rcode: "NOERROR", Answers: 1}},
			status: "NOERROR", answers: 1},
		{name: "attempts: silent server asked twice", conf: "nameserver 198.18.3.2\noptions timeout:1 attempts:2\n", in: "quiet.a.example.", qtype: dns.TypeA,
			want:   []q{{Name: "quiet.a.example.", Proto: "udp", Err: ErrTimeout}, {Name: "quiet.a.example.", Proto: "udp", Err: ErrTimeout}},
			status: "TIMEOUT", wantErr: ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := l.conf
			if tt.conf != "" {
				var err error
				if conf, err = ParseResolvConf(strings.NewReader(tt.conf)); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := Lookup(ctx, l.ns, conf, tt.in, tt.qtype, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, queriesOf(r), cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) || errors.Is(b, a) })); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
			if r.Status != tt.status || !errors.Is(r.Err, tt.wantErr) || (tt.wantErr == nil) != (r.Err == nil) {
				t.Errorf("status %s, err %v; want %s, %v", r.Status, r.Err, tt.status, tt.wantErr)
			}
			if tt.answers > 0 && (r.Reply == nil || len(r.Reply.Answer) != tt.answers) {
				t.Errorf("reply %v, want %d answers", r.Reply, tt.answers)
			}
			// The server saw exactly the queries the result lists.
			var seen []string
			for _, x := range l.dns.take() {
				seen = append(seen, x.Name+" "+x.Proto)
			}
			var sent []string
			for _, x := range r.Queries {
				if !errors.Is(x.Err, ErrConnRefused) {
					sent = append(sent, x.Name+" "+x.Proto)
				}
			}
			if diff := cmp.Diff(sent, seen); diff != "" {
				t.Errorf("server log (-result +server):\n%s", diff)
			}
		})
	}
}

func TestLookupBadInput(t *testing.T) {
	conf := &ResolvConf{Nameservers: addrs("198.18.3.2")}
	for _, name := range []string{"", "a..b", strings.Repeat("x", 64) + ".example"} {
		if _, err := Lookup(context.Background(), nil, conf, name, dns.TypeA, LookupOptions{}); err == nil {
			t.Errorf("Lookup(%q) gave no error", name)
		}
	}
}

// TestSearchMatchesGlibc runs getent ahosts (glibc's getaddrinfo) in the
// client netns with the same resolv.conf and compares the names the server
// saw, in order, with what Lookup sends.
func TestSearchMatchesGlibc(t *testing.T) {
	testlab.RequireTool(t, "getent")
	l := newDNSLab(t)
	// ip netns exec bind-mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf.
	dir := filepath.Join("/etc/netns", l.client)
	_, statErr := os.Stat("/etc/netns")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(dir)
		if os.IsNotExist(statErr) {
			os.Remove("/etc/netns") // only if empty: another test may use it
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(testResolvConf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"web", "nosuch", "a.b.c.d.e.f", "nosuch.", "sf", "quiet", "refused"} {
		t.Run(name, func(t *testing.T) {
			l.dns.take()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, gerr := exec.CommandContext(ctx, "ip", "netns", "exec", l.client, "getent", "ahosts", name).CombinedOutput()
			var ee *exec.ExitError
			if gerr != nil && !errors.As(gerr, &ee) {
				t.Fatalf("getent: %v\n%s", gerr, out)
			}
			glog := l.dns.take()
			glibc := distinctNames(glog)
			r, err := Lookup(ctx, l.ns, l.conf, name, dns.TypeA, LookupOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var ours []string
			for _, x := range r.Queries {
				ours = append(ours, x.Name)
			}
			l.dns.take()
			if diff := cmp.Diff(glibc, ours); diff != "" {
				t.Errorf("names queried (-glibc +Lookup):\n%s\ngetent output:\n%s\nserver log of getent: %v", diff, out, glog)
			}
			if (gerr == nil) != (r.Err == nil) {
				t.Errorf("getent err %v, Lookup err %v", gerr, r.Err)
			}
		})
	}
}

// distinctNames lists the names of a query log in first-seen order
// (getaddrinfo sends A and AAAA for each).
func distinctNames(log []loggedQuery) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range log {
		if !seen[x.Name] {
			seen[x.Name] = true
			out = append(out, x.Name)
		}
	}
	return out
}
