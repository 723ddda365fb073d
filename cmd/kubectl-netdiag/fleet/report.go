package fleet

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Finding is one finding of `netdiag doctor -o json` (checks.Finding; not
// imported, as the checks package is the node's and Linux-only).
type Finding struct {
	Check    string         `json:"check"`
	Severity string         `json:"severity"`
	Summary  string         `json:"summary"`
	Evidence map[string]any `json:"evidence"`
	Fix      []string       `json:"fix"`
	Object   *Object        `json:"object,omitempty"`
}

// Object is what a finding concerns.
type Object struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// DoctorReport is the JSON of `netdiag doctor -o json`.
type DoctorReport struct {
	Checks   []string  `json:"checks"`
	Findings []Finding `json:"findings"`
}

// NodeDoctor is one node's doctor run: its report, or why there is none.
type NodeDoctor struct {
	Node     string        `json:"node"`
	Report   *DoctorReport `json:"report,omitempty"`
	ExitCode int           `json:"exitCode"`
	Error    string        `json:"error,omitempty"`
	Carrier  string        `json:"carrier,omitempty"` // its image and why it was chosen
}

// ParseDoctor decodes doctor's JSON output.
func ParseDoctor(out []byte) (*DoctorReport, error) {
	var r DoctorReport
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("decode doctor's JSON: %w", err)
	}
	return &r, nil
}

// Severities, worst last; "ok" is a check that ran without a finding
// worse than info, "error" a node without a report.
var severityRank = map[string]int{"ok": 0, "info": 1, "warn": 2, "fail": 3}

// worse reports whether severity a is worse than b.
func worse(a, b string) bool { return severityRank[a] > severityRank[b] }

// Merged is the fleet's doctor report: a node × check table and the
// findings grouped by check.
type Merged struct {
	Checks []string     `json:"checks"` // every check any node ran, sorted
	Nodes  []MergedNode `json:"nodes"`
	Groups []CheckGroup `json:"findings"`
	// Problems is true when any node has a warn or fail finding, or has
	// no report: kubectl-netdiag doctor then exits 3 (or 1).
	Problems bool `json:"problems"`
}

// MergedNode is one row of the table: the worst severity per check.
type MergedNode struct {
	Node    string            `json:"node"`
	Cells   map[string]string `json:"checks,omitempty"` // check → ok|info|warn|fail; missing: not run
	Error   string            `json:"error,omitempty"`
	Carrier string            `json:"carrier,omitempty"`
}

// CheckGroup is every finding of one check, with the node of each.
type CheckGroup struct {
	Check    string        `json:"check"`
	Severity string        `json:"severity"` // the worst
	Nodes    []string      `json:"nodes"`
	Findings []NodeFinding `json:"items"`
}

// NodeFinding is a finding and the node that reported it.
type NodeFinding struct {
	Node string `json:"node"`
	Finding
}

// Merge merges the nodes' doctor reports.
func Merge(nodes []NodeDoctor) Merged {
	m := Merged{Checks: []string{}, Groups: []CheckGroup{}} // [] in JSON, not null
	checks := map[string]bool{}
	groups := map[string]*CheckGroup{}
	for _, n := range nodes {
		row := MergedNode{Node: n.Node, Error: n.Error, Carrier: n.Carrier}
		if n.Report == nil {
			if row.Error == "" {
				row.Error = "no report"
			}
			m.Problems = true
			m.Nodes = append(m.Nodes, row)
			continue
		}
		row.Cells = map[string]string{}
		for _, c := range n.Report.Checks {
			checks[c] = true
			row.Cells[c] = "ok"
		}
		for _, f := range n.Report.Findings {
			checks[f.Check] = true
			if cur, ok := row.Cells[f.Check]; !ok || worse(f.Severity, cur) {
				row.Cells[f.Check] = f.Severity
			}
			if f.Severity == "warn" || f.Severity == "fail" {
				m.Problems = true
			}
			g := groups[f.Check]
			if g == nil {
				g = &CheckGroup{Check: f.Check, Severity: f.Severity}
				groups[f.Check] = g
			}
			if worse(f.Severity, g.Severity) {
				g.Severity = f.Severity
			}
			if len(g.Nodes) == 0 || g.Nodes[len(g.Nodes)-1] != n.Node {
				g.Nodes = append(g.Nodes, n.Node)
			}
			g.Findings = append(g.Findings, NodeFinding{Node: n.Node, Finding: f})
		}
		m.Nodes = append(m.Nodes, row)
	}
	sort.Slice(m.Nodes, func(i, j int) bool { return m.Nodes[i].Node < m.Nodes[j].Node })
	for c := range checks {
		m.Checks = append(m.Checks, c)
	}
	sort.Strings(m.Checks)
	for _, g := range groups {
		sort.Strings(g.Nodes)
		sort.SliceStable(g.Findings, func(i, j int) bool {
			a, b := g.Findings[i], g.Findings[j]
			if a.Severity != b.Severity {
				return worse(a.Severity, b.Severity)
			}
			return a.Node < b.Node
		})
		m.Groups = append(m.Groups, *g)
	}
	// Worst first, then by check ID.
	sort.Slice(m.Groups, func(i, j int) bool {
		a, b := m.Groups[i], m.Groups[j]
		if a.Severity != b.Severity {
			return worse(a.Severity, b.Severity)
		}
		return a.Check < b.Check
	})
	return m
}
