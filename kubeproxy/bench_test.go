package kubeproxy

import (
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/iptables"
)

// BenchmarkServicesIPTables parses iptables-save text of 5,000 services and
// 20,000 endpoints and decodes it: the work of `netdiag services` after the
// iptables-save run. See docs/bench/services.md.
func BenchmarkServicesIPTables(b *testing.B) {
	svcs := kpgen.Synthetic(5000, 20000)
	text := kpgen.IPTables(kpgen.LabConfig(), svcs)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		rs, err := iptables.ParseSave(strings.NewReader(text))
		if err != nil {
			b.Fatal(err)
		}
		out := DecodeIPTables(rs)
		if len(out) < 5000 {
			b.Fatalf("decoded %d frontends, want at least 5000", len(out))
		}
	}
}

func TestSyntheticDecodes(t *testing.T) {
	svcs := kpgen.Synthetic(200, 800)
	rs, err := iptables.ParseSave(strings.NewReader(kpgen.IPTables(kpgen.LabConfig(), svcs)))
	if err != nil {
		t.Fatal(err)
	}
	got := DecodeIPTables(rs)
	eps := 0
	for _, s := range got {
		if s.Type == TypeClusterIP {
			eps += len(s.Endpoints)
		}
	}
	if eps != 800 {
		t.Errorf("ClusterIP frontends have %d endpoints, want 800", eps)
	}
}
