package fleet

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMerge(t *testing.T) {
	n1, err := ParseDoctor([]byte(`{"checks":["ip-forward","mtu-mismatch","dns-resolution"],"findings":[
		{"check":"ip-forward","severity":"fail","summary":"forwarding off","evidence":{"net.ipv4.ip_forward":"0"},"fix":["sysctl -w net.ipv4.ip_forward=1"]},
		{"check":"dns-resolution","severity":"info","summary":"fine"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	n2, _ := ParseDoctor([]byte(`{"checks":["ip-forward","mtu-mismatch","dns-resolution"],"findings":[
		{"check":"mtu-mismatch","severity":"warn","summary":"pod a"},
		{"check":"mtu-mismatch","severity":"fail","summary":"pod b"}]}`))
	n3, _ := ParseDoctor([]byte(`{"checks":["ip-forward"],"findings":[]}`))
	m := Merge([]NodeDoctor{
		{Node: "n2", Report: n2, ExitCode: 3},
		{Node: "n1", Report: n1, ExitCode: 3},
		{Node: "n4", Error: "no carrier pod could run"},
		{Node: "n3", Report: n3},
	})
	if !m.Problems {
		t.Error("Problems false with warn and fail findings")
	}
	wantRows := []MergedNode{
		{Node: "n1", Cells: map[string]string{"ip-forward": "fail", "mtu-mismatch": "ok", "dns-resolution": "info"}},
		{Node: "n2", Cells: map[string]string{"ip-forward": "ok", "mtu-mismatch": "fail", "dns-resolution": "ok"}},
		{Node: "n3", Cells: map[string]string{"ip-forward": "ok"}},
		{Node: "n4", Error: "no carrier pod could run"},
	}
	if d := cmp.Diff(wantRows, m.Nodes); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"dns-resolution", "ip-forward", "mtu-mismatch"}, m.Checks); d != "" {
		t.Errorf("checks (-want +got):\n%s", d)
	}
	type g struct {
		Check, Severity string
		Nodes           []string
		Summaries       []string
	}
	var got []g
	for _, x := range m.Groups {
		var s []string
		for _, f := range x.Findings {
			s = append(s, f.Node+":"+f.Summary)
		}
		got = append(got, g{x.Check, x.Severity, x.Nodes, s})
	}
	want := []g{
		{"ip-forward", "fail", []string{"n1"}, []string{"n1:forwarding off"}},
		{"mtu-mismatch", "fail", []string{"n2"}, []string{"n2:pod b", "n2:pod a"}},
		{"dns-resolution", "info", []string{"n1"}, []string{"n1:fine"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	if Merge([]NodeDoctor{{Node: "a", Report: n3}}).Problems {
		t.Error("Problems true for a clean node")
	}
}
