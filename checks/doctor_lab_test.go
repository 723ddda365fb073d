package checks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/checks"
	"github.com/netdiag/netdiag/cli"
)

// report is doctor's JSON.
type report struct {
	Checks   []string         `json:"checks"`
	Findings []checks.Finding `json:"findings"`
}

// doctor runs `netdiag GLOBALS -o json doctor --sample 1s EXTRA…` through
// cli.Main and returns its exit code and report.
func doctor(t *testing.T, globals []string, extra ...string) (int, report) {
	t.Helper()
	args := append([]string{"netdiag"}, globals...)
	args = append(args, "-o", "json", "doctor", "--sample", "1s")
	args = append(args, extra...)
	var stdout, stderr bytes.Buffer
	code := cli.Main(args, strings.NewReader(""), &stdout, &stderr)
	var r report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%s: exit %d, output is not doctor JSON: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, err, stdout.String(), stderr.String())
	}
	if code != 0 && code != cli.ExitProblems {
		t.Fatalf("%s: exit %d\nstderr: %s", strings.Join(args, " "), code, stderr.String())
	}
	// Exit 3 exactly when something is warn or fail.
	if want := checks.Problems(r.Findings); want != (code == cli.ExitProblems) {
		t.Errorf("exit %d with findings %s", code, show(r.Findings))
	}
	return code, r
}

// problems are the warn and fail findings.
func problems(fs []checks.Finding) []checks.Finding {
	var out []checks.Finding
	for _, f := range fs {
		if f.Severity == checks.Fail || f.Severity == checks.Warn {
			out = append(out, f)
		}
	}
	return out
}

func of(fs []checks.Finding, check string) []checks.Finding {
	var out []checks.Finding
	for _, f := range fs {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

func show(fs []checks.Finding) string {
	if len(fs) == 0 {
		return "(none)"
	}
	var b strings.Builder
	for _, f := range fs {
		ev, _ := json.Marshal(f.Evidence)
		fmt.Fprintf(&b, "\n  %s %s: %s\n    evidence %s", f.Severity, f.Check, f.Summary, ev)
	}
	return b.String()
}

// evidence renders one evidence value as JSON, for matching.
func evidence(f checks.Finding, key string) (string, bool) {
	v, ok := f.Evidence[key]
	if !ok {
		return "", false
	}
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`), true
}

// evidenceNumber is a numeric evidence value.
func evidenceNumber(f checks.Finding, key string) (float64, bool) {
	switch v := f.Evidence[key].(type) {
	case float64:
		return v, true
	case json.Number:
		n, err := v.Float64()
		return n, err == nil
	}
	return 0, false
}
