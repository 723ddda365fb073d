package filter

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCompile measures compile time per expression over the
// hand-written corpus, EN10MB, optimizer on.
func BenchmarkCompile(b *testing.B) {
	exprs := readCorpus(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _ = Compile(exprs[i%len(exprs)], EN10MB, 0)
	}
}

// orHosts is `host A or host B or …` over n addresses of 198.18.0.0/15.
func orHosts(n int) string {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("host 198.%d.%d.%d", 18+(i+1)>>16, (i+1)>>8&0xff, (i+1)&0xff)
	}
	return strings.Join(terms, " or ")
}

// orPorts is `port P or port Q or …` over n ports from 1000.
func orPorts(n int) string {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("port %d", 1000+i)
	}
	return strings.Join(terms, " or ")
}

// nested is a host test inside depth pairs of parentheses.
func nested(depth int) string {
	return strings.Repeat("(", depth) + "host 198.18.0.1" + strings.Repeat(")", depth)
}

// The expressions of issue 18; scripts/bench.sh filter runs tcpdump -d on
// the same ones side by side (BENCHMARKS.md).
func benchmarkExpr(b *testing.B, expr string) {
	b.ReportAllocs()
	var n int
	for i := 0; i < b.N; i++ {
		prog, err := Compile(expr, EN10MB, 0)
		if err != nil {
			b.Fatal(err)
		}
		n = len(prog)
	}
	b.ReportMetric(float64(n), "insns")
}

func BenchmarkCompileOrHosts1000(b *testing.B) { benchmarkExpr(b, orHosts(1000)) }
func BenchmarkCompileOrPorts300(b *testing.B)  { benchmarkExpr(b, orPorts(300)) }

// 9,990 levels: about the deepest libpcap's parser takes (maxNesting).
func BenchmarkCompileNested9990(b *testing.B) { benchmarkExpr(b, nested(9990)) }
