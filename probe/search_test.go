package probe

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCandidates(t *testing.T) {
	k8s := &ResolvConf{Ndots: 5, Search: []string{"default.svc.cluster.local", "svc.cluster.local", "cluster.local"}}
	tests := []struct {
		name string
		conf *ResolvConf
		in   string
		want []string
	}{
		{"short name: search list, then as-is", k8s, "kubernetes",
			[]string{"kubernetes.default.svc.cluster.local.", "kubernetes.svc.cluster.local.", "kubernetes.cluster.local.", "kubernetes."}},
		{"fewer dots than ndots: search first", k8s, "www.example.com",
			[]string{"www.example.com.default.svc.cluster.local.", "www.example.com.svc.cluster.local.", "www.example.com.cluster.local.", "www.example.com."}},
		{"ndots dots: as-is first", k8s, "a.b.c.d.e.f",
			[]string{"a.b.c.d.e.f.", "a.b.c.d.e.f.default.svc.cluster.local.", "a.b.c.d.e.f.svc.cluster.local.", "a.b.c.d.e.f.cluster.local."}},
		{"trailing dot: only as-is", k8s, "www.example.com.", []string{"www.example.com."}},
		{"ndots 1, one dot: as-is first", &ResolvConf{Ndots: 1, Search: []string{"corp.example"}}, "db.local",
			[]string{"db.local.", "db.local.corp.example."}},
		{"no search list", &ResolvConf{Ndots: 1}, "host", []string{"host."}},
		{"root domain in the list: no extra as-is", &ResolvConf{Ndots: 1, Search: []string{"a.example", "."}}, "host",
			[]string{"host.a.example.", "host."}},
		{"no-tld-query skips a dotless as-is", &ResolvConf{Ndots: 1, NoTLDQuery: true, Search: []string{"a.example"}}, "host",
			[]string{"host.a.example."}},
		{"no-tld-query keeps a dotted as-is", &ResolvConf{Ndots: 5, NoTLDQuery: true, Search: []string{"a.example"}}, "x.y",
			[]string{"x.y.a.example.", "x.y."}},
		{"ndots 0: as-is first even without dots", &ResolvConf{Ndots: 0, Search: []string{"a.example"}}, "host",
			[]string{"host.", "host.a.example."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Candidates(tt.conf, tt.in)); diff != "" {
				t.Errorf("Candidates(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestSearchStops checks which answers end the search early, as glibc's
// res_nsearch does.
func TestSearchStops(t *testing.T) {
	conf := &ResolvConf{Ndots: 5, Search: []string{"a.example", "b.example", "c.example"}}
	tests := []struct {
		name      string
		answers   map[string]status // default NXDOMAIN
		want      []string
		wantSt    status
		wantFinal string
	}{
		{"found in the second domain", map[string]status{"x.b.example.": stOK},
			[]string{"x.a.example.", "x.b.example."}, stOK, "x.b.example."},
		{"SERVFAIL goes on", map[string]status{"x.a.example.": stServFail},
			[]string{"x.a.example.", "x.b.example.", "x.c.example.", "x."}, stServFail, "x."},
		{"NODATA goes on and is reported", map[string]status{"x.b.example.": stNoData},
			[]string{"x.a.example.", "x.b.example.", "x.c.example.", "x."}, stNoData, "x."},
		{"timeout stops the search, as-is still tried", map[string]status{"x.a.example.": stTimeout},
			[]string{"x.a.example.", "x."}, stNXDomain, "x."},
		{"REFUSED stops the search", map[string]status{"x.b.example.": stFailed, "x.": stOK},
			[]string{"x.a.example.", "x.b.example.", "x."}, stOK, "x."},
		{"connection refused gives up", map[string]status{"x.a.example.": stConnRefused},
			[]string{"x.a.example."}, stConnRefused, "x.a.example."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			st, final := search(conf, "x", false, func(n string) status {
				got = append(got, n)
				if s, ok := tt.answers[n]; ok {
					return s
				}
				return stNXDomain
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
			if st != tt.wantSt || final != tt.wantFinal {
				t.Errorf("got %d %q, want %d %q", st, final, tt.wantSt, tt.wantFinal)
			}
		})
	}
	// The as-is error wins over what the search found.
	st, _ := search(conf, "a.b.c.d.e.f", false, func(n string) status {
		if n == "a.b.c.d.e.f." {
			return stServFail
		}
		return stNoData
	})
	if st != stServFail {
		t.Errorf("as-is SERVFAIL then NODATA: got %d, want SERVFAIL", st)
	}
}
