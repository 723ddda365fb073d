package probe

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestParseResolvConf(t *testing.T) {
	tests := []struct {
		file string
		want *ResolvConf
	}{
		{"kubernetes-clusterfirst.conf", &ResolvConf{
			Nameservers: addrs("10.96.0.10"),
			Search:      []string{"default.svc.cluster.local", "svc.cluster.local", "cluster.local", "us-central1-b.c.my-project.internal", "c.my-project.internal", "google.internal"},
			Ndots:       5, Timeout: 5 * time.Second, Attempts: 2, Options: []string{"ndots:5"},
		}},
		{"gke-nodelocal.conf", &ResolvConf{
			Nameservers: addrs("169.254.20.10"),
			Search:      []string{"kube-system.svc.cluster.local", "svc.cluster.local", "cluster.local"},
			Ndots:       5, Timeout: 2 * time.Second, Attempts: 3, SingleRequestReopen: true,
			Options: []string{"ndots:5", "timeout:2", "attempts:3", "single-request-reopen"},
		}},
		{"messy.conf", &ResolvConf{
			// The leading-space line, the bad address and the fourth server are ignored.
			Nameservers: addrs("10.0.0.1", "fd00::53%eth0", "10.0.0.2"),
			// search comes after domain, so it wins.
			Search: []string{"a.example", "b.example", "c.example"},
			// Clamped: ndots to 15, timeout to at least 1 s, attempts to 5.
			Ndots: 15, Timeout: time.Second, Attempts: 5,
			Rotate: true, UseVC: true, EDNS0: true, TrustAD: true, NoTLDQuery: true,
			Options: []string{"ndots:20", "timeout:0", "attempts:9", "rotate", "use-vc", "bogus", "edns0", "trust-ad", "no-tld-query"},
			Warnings: []string{
				`line 2: ignored (a keyword must start the line and be followed by a space or tab): " nameserver 10.0.0.9"`,
				`line 5: ignored (not an IP address): "nameserver not-an-ip"`,
				`line 7: ignored (glibc uses only the first 3 nameservers): "nameserver 10.0.0.3"`,
				`line 10: unknown option, ignored: "bogus"`,
			},
		}},
		{"crlf.conf", &ResolvConf{
			// glibc keeps the '\r': the address does not parse, the domain keeps it.
			Nameservers: addrs("127.0.0.1"), DefaultNameserver: true,
			Search: []string{"cluster.local\r"},
			Ndots:  1, Timeout: 5 * time.Second, Attempts: 2,
			Warnings: []string{"line 1: ignored (not an IP address): \"nameserver 10.0.0.1\\r\""},
		}},
		{"empty.conf", &ResolvConf{
			Nameservers: addrs("127.0.0.1"), DefaultNameserver: true, Search: []string{},
			Ndots: 1, Timeout: 5 * time.Second, Attempts: 2,
		}},
		{"domain.conf", &ResolvConf{
			Nameservers: addrs("127.0.0.1"), DefaultNameserver: true, Search: []string{"only.example"},
			Ndots: 1, Timeout: 5 * time.Second, Attempts: 2,
			Warnings: []string{`line 2: ignored (a keyword must start the line and be followed by a space or tab): "search"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ReadResolvConfFile(filepath.Join("testdata/resolv", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Source = filepath.Join("testdata/resolv", tt.file)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseResolvConf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseResolvConfTooBig(t *testing.T) {
	if _, err := ParseResolvConf(strings.NewReader(strings.Repeat("#\n", maxResolvConf))); err == nil {
		t.Error("a 128 KiB file parsed without error")
	}
}

// FuzzParseResolvConf checks the parser never panics and that its result
// keeps glibc's limits.
func FuzzParseResolvConf(f *testing.F) {
	files, _ := filepath.Glob("testdata/resolv/*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseResolvConf(strings.NewReader(string(b)))
		if err != nil {
			if c != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if n := len(c.Nameservers); n < 1 || n > MaxNameservers {
			t.Errorf("%d nameservers", n)
		}
		if c.Ndots < 0 || c.Ndots > 15 || c.Attempts < 1 || c.Attempts > 5 || c.Timeout < time.Second || c.Timeout > 30*time.Second {
			t.Errorf("out of range: ndots %d attempts %d timeout %s", c.Ndots, c.Attempts, c.Timeout)
		}
		for _, d := range c.Search {
			if d == "" || strings.ContainsAny(d, " \t\n") {
				t.Errorf("search domain %q", d)
			}
		}
		for _, a := range c.Nameservers {
			if !a.IsValid() {
				t.Error("invalid nameserver")
			}
		}
		// What String renders parses back to the same servers, search and numbers.
		c2, err := ParseResolvConf(strings.NewReader(c.String()))
		if err != nil {
			t.Fatal(err)
		}
		if !c.DefaultNameserver && !cmp.Equal(c.Nameservers, c2.Nameservers, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })) {
			t.Errorf("round trip: nameservers %v, then %v", c.Nameservers, c2.Nameservers)
		}
		if c.Ndots != c2.Ndots || c.Attempts != c2.Attempts || c.Timeout != c2.Timeout {
			t.Errorf("round trip: options %d/%d/%s, then %d/%d/%s", c.Ndots, c.Attempts, c.Timeout, c2.Ndots, c2.Attempts, c2.Timeout)
		}
	})
}
