package nsutil

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type netnsMount struct {
	Ino        uint64
	MountPoint string
}

func netnsMounts(ms []mount) []netnsMount {
	var out []netnsMount
	for _, m := range ms {
		if ino, ok := m.netnsInode(); ok {
			out = append(out, netnsMount{ino, m.MountPoint})
		}
	}
	return out
}

func TestParseMountinfoSample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "mountinfo-netns.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := parseMountinfo(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 33 {
		t.Errorf("parsed %d mounts, want 33", len(ms))
	}
	want := []netnsMount{
		{4026532177, "/run/netns/kpt1"},
		{4026532314, "/run/netns/kpt2"},
		{4026532246, "/run/netns/ndreal-t1"},
		{4026532384, "/run/ndr-t1/state/io.containerd.grpc.v1.cri/netns/cni-7d9deb22-0a0a-4110-24f9-1700777d2a8a"},
		{4026532462, "/run/ndr-t1/state/io.containerd.grpc.v1.cri/netns/cni-62dee216-6061-519a-77ad-4c03c78234da"},
		{4026532539, "/run/netns/ndsample"},
		{4026532539, "/tmp/nd sample/io.containerd.grpc.v1.cri/netns/cni-7f3e2a10-0d7b-4b8e-9a41-2f6c1b9d5e44"},
	}
	if diff := cmp.Diff(want, netnsMounts(ms)); diff != "" {
		t.Errorf("netns mounts (-want +got):\n%s", diff)
	}
}

func TestParseMountinfoLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		line    string
		want    mount
		wantErr bool
	}{
		{
			name: "proc(5) example",
			line: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
			want: mount{Root: "/mnt1", MountPoint: "/mnt2", FSType: "ext3"},
		},
		{
			name: "no optional fields",
			line: "47 27 0:4 net:[4026532384] /run/x/netns/cni-1 rw - nsfs nsfs rw",
			want: mount{Root: "net:[4026532384]", MountPoint: "/run/x/netns/cni-1", FSType: "nsfs"},
		},
		{
			name: "several optional fields",
			line: "91 42 0:4 net:[4026532539] /run/netns/a rw shared:5 master:2 propagate_from:1 - nsfs nsfs rw",
			want: mount{Root: "net:[4026532539]", MountPoint: "/run/netns/a", FSType: "nsfs"},
		},
		{
			name: "escapes",
			line: `93 27 0:4 net:[1] /a\040b\011c\012d\134e rw - nsfs nsfs rw`,
			want: mount{Root: "net:[1]", MountPoint: "/a b\tc\nd\\e", FSType: "nsfs"},
		},
		{
			name: "other white space is data",
			line: "93 27 0:4 net:[1] /a\u00a0b\rc\vd\fe rw - nsfs nsfs rw",
			want: mount{Root: "net:[1]", MountPoint: "/a\u00a0b\rc\vd\fe", FSType: "nsfs"},
		},
		{name: "double space", line: "1 2 0:4 /  /x rw - nsfs nsfs rw", wantErr: true},
		{name: "too few fields", line: "1 2 0:4 / /x rw - nsfs", wantErr: true},
		{name: "no separator", line: "1 2 0:4 / /x rw shared:1 nsfs nsfs rw extra", wantErr: true},
		{name: "nothing after separator", line: "1 2 0:4 / /x rw a b c -", wantErr: true},
		{name: "short escape", line: `1 2 0:4 / /x\04 rw - nsfs nsfs rw`, wantErr: true},
		{name: "bad escape", line: `1 2 0:4 / /x\09a rw - nsfs nsfs rw`, wantErr: true},
		{name: "escape over a byte", line: `1 2 0:4 / /x\777 rw - nsfs nsfs rw`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMountinfoLine(tc.line)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseMountinfoLine(%q) error = %v, wantErr %v", tc.line, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNetnsInode(t *testing.T) {
	for _, tc := range []struct {
		m      mount
		want   uint64
		wantOK bool
	}{
		{mount{Root: "net:[4026532539]", FSType: "nsfs"}, 4026532539, true},
		{mount{Root: "mnt:[4026532539]", FSType: "nsfs"}, 0, false},
		{mount{Root: "net:[4026532539]", FSType: "ext4"}, 0, false},
		{mount{Root: "net:[]", FSType: "nsfs"}, 0, false},
		{mount{Root: "net:[12", FSType: "nsfs"}, 0, false},
		{mount{Root: "net:[-1]", FSType: "nsfs"}, 0, false},
		{mount{Root: "net:[99999999999999999999]", FSType: "nsfs"}, 0, false},
	} {
		got, ok := tc.m.netnsInode()
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("%+v.netnsInode() = %d, %v; want %d, %v", tc.m, got, ok, tc.want, tc.wantOK)
		}
	}
}

// escapeMount is the kernel's mangling of mountinfo fields (fs/proc_namespace.c
// mangle: space, tab, newline, backslash), for round trips.
func escapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			b.WriteString(`\` + strconv.FormatUint(uint64(c)|0o1000, 8)[1:])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func FuzzParseMountinfo(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "mountinfo-netns.txt")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := parseMountinfo(strings.NewReader(string(data)))
		if err != nil {
			if ms != nil {
				t.Fatalf("error %v with a result", err)
			}
			return
		}
		for _, m := range ms {
			if m.FSType == "" || m.MountPoint == "" || m.Root == "" {
				t.Fatalf("empty field in %+v", m)
			}
			if ino, ok := m.netnsInode(); ok {
				if m.FSType != "nsfs" || !strings.HasPrefix(m.Root, "net:[") {
					t.Fatalf("netnsInode %d from %+v", ino, m)
				}
			}
			// What we parsed, written back as the kernel would, parses the same.
			line := "1 2 0:4 " + escapeMount(m.Root) + " " + escapeMount(m.MountPoint) + " rw - " + escapeMount(m.FSType) + " src rw"
			again, err := parseMountinfoLine(line)
			if err != nil {
				t.Fatalf("re-parse %q: %v", line, err)
			}
			if diff := cmp.Diff(m, again); diff != "" {
				t.Fatalf("round trip (-first +again):\n%s", diff)
			}
		}
	})
}

func FuzzUnescapeMount(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		got, err := unescapeMount(s)
		if err != nil {
			return
		}
		if !strings.Contains(s, `\`) && got != s {
			t.Fatalf("unescapeMount(%q) = %q, want it unchanged", s, got)
		}
		if back, err := unescapeMount(escapeMount(got)); err != nil || back != got {
			t.Fatalf("round trip of %q: %q, %v", got, back, err)
		}
	})
}
