package node

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// linkMsg builds an RTM_NEWLINK body as the kernel sends it for a veth.
func linkMsg(index int32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(b[4:8], uint32(index))
	u32 := func(v uint32) []byte { x := make([]byte, 4); binary.NativeEndian.PutUint32(x, v); return x }
	b = append(b, attr(unix.IFLA_IFNAME, []byte("eth0\x00"))...)
	b = append(b, attr(unix.IFLA_MTU, u32(1450))...)
	b = append(b, attr(unix.IFLA_LINK, u32(17))...)
	b = append(b, attr(unix.IFLA_LINK_NETNSID, u32(0))...)
	b = append(b, attr(unix.IFLA_LINKINFO|unix.NLA_F_NESTED, attr(unix.IFLA_INFO_KIND, []byte("veth\x00")))...)
	return b
}

func TestParseLink(t *testing.T) {
	got := parseLink(linkMsg(2))
	want := rtLink{Index: 2, MTU: 1450, ParentIndex: 17, NetNSID: 0, Name: "eth0", Kind: "veth"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseLink (-want +got):\n%s", diff)
	}
}

func FuzzParseLink(f *testing.F) {
	f.Add(linkMsg(2))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < unix.SizeofIfInfomsg {
			return
		}
		parseLink(b)
	})
}
