package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/snapshot"
)

// Severities, most serious first.
const (
	Fail = "fail" // this is broken
	Warn = "warn" // risky or degraded
	Info = "info" // context, or a check that could not run
)

// Finding is one thing a check found.
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
	Kind string `json:"kind"` // node, pod, service, interface
	Name string `json:"name"`
}

// Check is one failure mode.
type Check struct {
	ID    string
	Title string
	// Needs names the snapshot parts the check reads; when one could not be
	// collected the check reports that as info instead of guessing.
	Needs []snapshot.Part
	Run   func(s *snapshot.Snapshot) []Finding
}

var registry []Check

func register(c Check) { registry = append(registry, c) }

// All returns every check, sorted by ID.
func All() []Check {
	out := append([]Check(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Select returns the checks named in only (all when empty) less those in
// skip; an unknown ID is an error listing the known ones.
func Select(only, skip []string) ([]Check, error) {
	known := map[string]bool{}
	for _, c := range registry {
		known[c.ID] = true
	}
	for _, id := range append(append([]string(nil), only...), skip...) {
		if !known[id] {
			return nil, fmt.Errorf("unknown check %q: known checks are %s", id, strings.Join(IDs(), ", "))
		}
	}
	var out []Check
	for _, c := range All() {
		if (len(only) == 0 || contains(only, c.ID)) && !contains(skip, c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}

// IDs lists every check ID, sorted.
func IDs() []string {
	var ids []string
	for _, c := range All() {
		ids = append(ids, c.ID)
	}
	return ids
}

// Run runs the checks against one snapshot and sorts the findings by
// severity, then check, then object.
func Run(s *snapshot.Snapshot, cs []Check) []Finding {
	var out []Finding
	for _, c := range cs {
		if missing := s.Missing(c.Needs); len(missing) > 0 {
			ev := map[string]any{}
			for p, why := range missing {
				ev[string(p)] = why
			}
			out = append(out, Finding{Check: c.ID, Severity: Info,
				Summary:  "could not run: " + joinReasons(missing),
				Evidence: ev, Fix: []string{}})
			continue
		}
		for _, f := range c.Run(s) {
			f.Check = c.ID
			if f.Evidence == nil {
				f.Evidence = map[string]any{}
			}
			if f.Fix == nil {
				f.Fix = []string{}
			}
			addDropEvidence(s, &f)
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := rank(a.Severity), rank(b.Severity); ra != rb {
			return ra < rb
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return objName(a) < objName(b)
	})
	return out
}

// Report is the doctor's answer, the JSON of DESIGN.md: the checks that
// ran and what they found.
type Report struct {
	Checks   []string  `json:"checks"`
	Findings []Finding `json:"findings"`
}

// Judge runs cs against s. With pod set it keeps the node-wide findings
// and those about that pod.
func Judge(s *snapshot.Snapshot, cs []Check, pod *node.Pod) Report {
	rep := Report{Checks: []string{}, Findings: []Finding{}}
	for _, c := range cs {
		rep.Checks = append(rep.Checks, c.ID)
	}
	for _, f := range Run(s, cs) {
		if pod == nil || f.Object == nil || f.Object.Kind != "pod" || f.Object.Name == pod.FullName() {
			rep.Findings = append(rep.Findings, f)
		}
	}
	return rep
}

// Problems reports whether any finding is warn or fail.
func Problems(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Fail || f.Severity == Warn {
			return true
		}
	}
	return false
}

func rank(s string) int {
	switch s {
	case Fail:
		return 0
	case Warn:
		return 1
	}
	return 2
}

func objName(f Finding) string {
	if f.Object == nil {
		return ""
	}
	return f.Object.Kind + "/" + f.Object.Name
}

func joinReasons(m map[snapshot.Part]string) string {
	var parts []string
	for p, why := range m {
		parts = append(parts, string(p)+": "+why)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// nodeObject names the node as the kubelet registered it (Snapshot.NodeName).
func nodeObject(s *snapshot.Snapshot) *Object {
	name := s.NodeName
	if name == "" {
		name = "node"
	}
	return &Object{Kind: "node", Name: name}
}
