package filter

import "testing"

// BenchmarkCompile measures compile time per expression over the
// hand-written corpus, EN10MB, optimizer on.
func BenchmarkCompile(b *testing.B) {
	exprs := readCorpus(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _ = Compile(exprs[i%len(exprs)], EN10MB, 0)
	}
}
