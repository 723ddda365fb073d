package probe

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// errQueueMsg builds the control message a MSG_ERRQUEUE read returns.
func errQueueMsg(level, typ int32, origin, icmpType, code uint8, info uint32, off []byte) []byte {
	data := make([]byte, sizeofExtErr, sizeofExtErr+len(off))
	binary.NativeEndian.PutUint32(data[0:], uint32(unix.EHOSTUNREACH))
	data[4], data[5], data[6] = origin, icmpType, code
	binary.NativeEndian.PutUint32(data[8:], info)
	data = append(data, off...)
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func sockaddrIn(a string) []byte {
	b := make([]byte, 16)
	binary.NativeEndian.PutUint16(b, unix.AF_INET)
	ip := netip.MustParseAddr(a).As4()
	copy(b[4:], ip[:])
	return b
}

func sockaddrIn6(a string) []byte {
	b := make([]byte, 28)
	binary.NativeEndian.PutUint16(b, unix.AF_INET6)
	ip := netip.MustParseAddr(a).As16()
	copy(b[8:], ip[:])
	return b
}

func TestParseErrQueue(t *testing.T) {
	tests := []struct {
		name     string
		oob      []byte
		want     *ICMP
		wantKind Kind
	}{
		{"admin prohibited from a router", errQueueMsg(unix.SOL_IP, unix.IP_RECVERR, unix.SO_EE_ORIGIN_ICMP, 3, 13, 0, sockaddrIn("198.18.0.12")),
			&ICMP{Origin: "icmp", Type: 3, Code: 13, Errno: unix.EHOSTUNREACH, From: netip.MustParseAddr("198.18.0.12")}, KindAdminProhibited},
		{"port unreachable", errQueueMsg(unix.SOL_IP, unix.IP_RECVERR, unix.SO_EE_ORIGIN_ICMP, 3, 3, 0, sockaddrIn("198.18.0.12")),
			&ICMP{Origin: "icmp", Type: 3, Code: 3, Errno: unix.EHOSTUNREACH, From: netip.MustParseAddr("198.18.0.12")}, KindPortUnreachable},
		{"frag needed with mtu", errQueueMsg(unix.SOL_IP, unix.IP_RECVERR, unix.SO_EE_ORIGIN_ICMP, 3, 4, 1450, sockaddrIn("198.18.0.1")),
			&ICMP{Origin: "icmp", Type: 3, Code: 4, Errno: unix.EHOSTUNREACH, From: netip.MustParseAddr("198.18.0.1"), Info: 1450}, KindFragNeeded},
		{"ipv6 address unreachable", errQueueMsg(unix.SOL_IPV6, unix.IPV6_RECVERR, unix.SO_EE_ORIGIN_ICMP6, 1, 3, 0, sockaddrIn6("fd00::1")),
			&ICMP{Origin: "icmp6", Type: 1, Code: 3, Errno: unix.EHOSTUNREACH, From: netip.MustParseAddr("fd00::1")}, KindHostUnreachable},
		{"no offender", errQueueMsg(unix.SOL_IP, unix.IP_RECVERR, unix.SO_EE_ORIGIN_ICMP, 11, 0, 0, []byte{0, 0}),
			&ICMP{Origin: "icmp", Type: 11, Errno: unix.EHOSTUNREACH}, KindTTLExceeded},
		{"short", errQueueMsg(unix.SOL_IP, unix.IP_RECVERR, 2, 3, 3, 0, nil)[:unix.CmsgSpace(8)], nil, ""},
		{"other message", errQueueMsg(unix.SOL_SOCKET, unix.SCM_RIGHTS, 2, 3, 3, 0, nil), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseErrQueue(tt.oob)
			if (err != nil) != (tt.want == nil) {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("parseErrQueue (-want +got):\n%s", diff)
			}
			if got != nil && icmpKind(got) != tt.wantKind {
				t.Errorf("kind %s, want %s", icmpKind(got), tt.wantKind)
			}
		})
	}
}

// FuzzParseErrQueue: any bytes give an entry or an error, never a panic.
func FuzzParseErrQueue(f *testing.F) {
	f.Add(errQueueMsg(unix.SOL_IP, unix.IP_RECVERR, unix.SO_EE_ORIGIN_ICMP, 3, 13, 0, sockaddrIn("198.18.0.12")))
	f.Add(errQueueMsg(unix.SOL_IPV6, unix.IPV6_RECVERR, unix.SO_EE_ORIGIN_ICMP6, 1, 4, 0, sockaddrIn6("fd00::1")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseErrQueue(b)
		if (e == nil) == (err == nil) {
			t.Fatalf("entry %v with error %v", e, err)
		}
		if e != nil {
			_ = icmpKind(e)
		}
	})
}
