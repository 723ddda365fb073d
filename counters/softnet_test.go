package counters

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSoftnetSamples(t *testing.T) {
	for name, want := range map[string][]Softnet{
		"linux-6.18-2cpu": nil, // checked against the columns below
		"linux-4.x-11fields": {
			{CPU: 0, Processed: 0x272d, TimeSqueeze: 1},
			{CPU: 1, Processed: 0x1e04},
		},
		"linux-5.10-13fields-cpu1-offline": {
			{CPU: 0, Processed: 0x1b3a2, TimeSqueeze: 4},
			{CPU: 2, Processed: 0x21c8e, Dropped: 0x12, TimeSqueeze: 9},
		},
	} {
		b, err := os.ReadFile("testdata/softnet_stat/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseSoftnet(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want == nil {
			// The real sample: one entry per line, CPUs 0 and 1.
			if len(got) != 2 || got[0].CPU != 0 || got[1].CPU != 1 || got[0].Processed == 0 {
				t.Errorf("%s: %+v", name, got)
			}
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestParseSoftnetErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":        "",
		"two columns":  "00000001 00000002\n",
		"not hex":      "0000000g 00000000 00000000\n",
		"too wide":     "100000000 00000000 00000000\n",
		"same CPU":     strings.Repeat("1 2 3 0 0 0 0 0 0 0 0 0 5\n", 2),
		"CPU too high": "1 2 3 0 0 0 0 0 0 0 0 0 ffffff\n",
		"text":         "Inter-|   Receive\n face |bytes packets\n",
	} {
		got, err := ParseSoftnet([]byte(in))
		if err == nil || got != nil {
			t.Errorf("%s: %+v, %v; want an error and no result", name, got, err)
		}
		if err != nil && !errors.Is(err, errSoftnet) {
			t.Errorf("%s: %v does not wrap errSoftnet", name, err)
		}
	}
}

// TestSoftnetDelta: the delta is per CPU number, wraps at 2^32, and
// leaves out a CPU missing from one sample.
func TestSoftnetDelta(t *testing.T) {
	before := []Softnet{{CPU: 0, Dropped: 0xfffffff0, TimeSqueeze: 1}, {CPU: 1, Dropped: 5}, {CPU: 3, Dropped: 1}}
	after := []Softnet{{CPU: 1, Dropped: 9}, {CPU: 0, Dropped: 0x10, TimeSqueeze: 4}, {CPU: 2, Dropped: 7}}
	want := []Softnet{{CPU: 1, Dropped: 4}, {CPU: 0, Dropped: 0x20, TimeSqueeze: 3}}
	if diff := cmp.Diff(want, SoftnetDelta(before, after)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzParseSoftnet: softnet_stat is the kernel's bytes, read from a
// mounted /proc that may not be the kernel's. An error means no result;
// a result has one entry per non-blank line, each CPU once.
func FuzzParseSoftnet(f *testing.F) {
	ents, err := os.ReadDir("testdata/softnet_stat")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile("testdata/softnet_stat/" + e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseSoftnet(b)
		if err != nil {
			if got != nil {
				t.Fatal("error with a result")
			}
			return
		}
		lines := 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(got) != lines {
			t.Fatalf("%d entries for %d lines", len(got), lines)
		}
		cpus := map[int]bool{}
		for _, s := range got {
			if s.CPU < 0 || s.CPU >= maxSoftnetCPUs || cpus[s.CPU] {
				t.Fatalf("CPU %d out of range or twice", s.CPU)
			}
			cpus[s.CPU] = true
		}
	})
}
