package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

type savedCase struct {
	Expr string
	LT   LinkType
	Err  string
	Prog []bpf.RawInstruction
}

func TestAdhocDump(t *testing.T) {
	var out []savedCase
	for _, c := range oracleCases(t) {
		out = append(out, savedCase{c.expr, c.lt, c.oracle.err, c.oracle.prog})
	}
	b, _ := json.Marshal(out)
	os.WriteFile("/tmp/ov/oracle.json", b, 0o644)
}

func TestAdhocAnalyze(t *testing.T) {
	b, err := os.ReadFile("/tmp/ov/oracle.json")
	if err != nil {
		t.Skip()
	}
	var cases []savedCase
	json.Unmarshal(b, &cases)
	type row struct {
		r    float64
		desc string
	}
	var rows []row
	ra1, ra2 := 0, 0
	var ratios []float64
	for _, c := range cases {
		mine, err := Compile(c.Expr, c.LT, 0)
		libRA := c.Err == "tcpdump: expression rejects all packets"
		if libRA && !errors.Is(err, ErrRejectsAll) {
			ra1++
			if ra1 < 15 {
				t.Logf("libpcap rejects-all, netdiag %d insns: %s %q", len(mine), c.LT, c.Expr)
			}
			continue
		}
		if !libRA && errors.Is(err, ErrRejectsAll) {
			ra2++
			t.Logf("netdiag rejects-all only: %s %q", c.LT, c.Expr)
			continue
		}
		if err != nil || c.Err != "" {
			continue
		}
		r := float64(len(mine)) / float64(len(c.Prog))
		ratios = append(ratios, r)
		rows = append(rows, row{r, fmt.Sprintf("%.2f %d/%d %s %q", r, len(mine), len(c.Prog), c.LT, c.Expr)})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].r > rows[j].r })
	over := 0
	for _, r := range rows {
		if r.r > 1.5 {
			over++
		}
	}
	sort.Float64s(ratios)
	t.Logf("rejects-all: libpcap only %d, netdiag only %d; over 1.5: %d of %d; median %.3f", ra1, ra2, over, len(rows), ratios[len(ratios)/2])
	for i := 0; i < 400 && i < len(rows); i++ { if strings.Contains(rows[i].desc, "protochain") { continue }
		t.Log(rows[i].desc)
	}
}
