package kmsg

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recordReader gives one record per Read, as /dev/kmsg does, then end.
type recordReader struct {
	recs []string
	end  error
}

func (r *recordReader) Read(b []byte) (int, error) {
	if len(r.recs) == 0 {
		return 0, r.end
	}
	n := copy(b, r.recs[0])
	r.recs = r.recs[1:]
	return n, nil
}

func TestKernelLines(t *testing.T) {
	recs := []string{
		"6,1,1000000,-;Linux version 6.18",
		"4,2,2000000,-;nf_conntrack: nf_conntrack: table full, dropping packet",
		"5,3,3000001,-;audit: type=1400 apparmor=\"DENIED\" comm=\"curl\" eth0",
		"6,4,4500000,-;cbr0: port 1(veth1234) entered forwarding state\n SUBSYSTEM=net\n DEVICE=n3",
		"6,5,5000000,-;EXT4-fs (sda1): mounted filesystem",
		"not a record",
		"6,6,6000000,-;eth0: Link is Up - 10Gbps/Full",
		"6,7,7000000,-;IPv4: martian source 198.18.0.9 from 198.18.0.1, on dev eth0\\x0ahidden",
		"6,8,8000000,-;sensor: method calibrated",
	}
	tests := []struct {
		keep int
		end  error
		want []string
	}{
		{keep: 10, end: syscall.EAGAIN, want: []string{
			"[    2.000000] nf_conntrack: nf_conntrack: table full, dropping packet",
			"[    4.500000] cbr0: port 1(veth1234) entered forwarding state",
			"[    6.000000] eth0: Link is Up - 10Gbps/Full",
			"[    7.000000] IPv4: martian source 198.18.0.9 from 198.18.0.1, on dev eth0 hidden",
		}},
		{keep: 2, end: io.EOF, want: []string{
			"[    6.000000] eth0: Link is Up - 10Gbps/Full",
			"[    7.000000] IPv4: martian source 198.18.0.9 from 198.18.0.1, on dev eth0 hidden",
		}},
		{keep: 0, end: io.EOF, want: nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.keep), func(t *testing.T) {
			got, seen, err := NetworkLines(&recordReader{recs: recs, end: tt.end}, tt.keep)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if tt.keep > 0 && seen != 4 {
				t.Errorf("seen %d network lines, want 4", seen)
			}
		})
	}
}

func TestKernelLinesLong(t *testing.T) {
	rec := "6,1,1,-;eth0: " + strings.Repeat("x", 2000)
	got, _, err := NetworkLines(&recordReader{recs: []string{rec}, end: io.EOF}, 5)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %d lines, %v", len(got), err)
	}
	if len(got[0]) > maxKernelLine+40 {
		t.Errorf("line is %d bytes, want at most about %d", len(got[0]), maxKernelLine)
	}
}

func TestKernelLinesError(t *testing.T) {
	_, _, err := NetworkLines(&recordReader{recs: []string{"6,1,1,-;eth0: up"}, end: syscall.EIO}, 5)
	if err == nil {
		t.Error("a read error was not reported")
	}
}

// FuzzKernelLines: kernel log records are the kernel's bytes, possibly
// unprintable. Records are separated by NUL in the fuzz input.
func FuzzKernelLines(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte, keep uint8) {
		recs := strings.Split(string(b), "\x00")
		got, seen, err := NetworkLines(&recordReader{recs: recs, end: io.EOF}, int(keep))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > int(keep) || len(got) > seen {
			t.Fatalf("%d lines kept of %d seen, keep %d", len(got), seen, keep)
		}
		for _, l := range got {
			if len(l) > maxKernelLine+64 || strings.ContainsAny(l, "\n\r") {
				t.Fatalf("bad line %q", l)
			}
		}
	})
}
