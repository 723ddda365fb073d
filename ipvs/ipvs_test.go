package ipvs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
)

// ipvsReplies answers like the kernel's IPVS family does: one TCP service
// 198.18.200.10:80 (rr) with two real servers, and one persistent UDP
// service without any.
func ipvsReplies(t *testing.T) genltest.Func {
	svc := func(proto uint16, addr string, port uint16, sched string, flags uint32, timeout uint32) []byte {
		ae := netlink.NewAttributeEncoder()
		ae.Nested(ipvsCmdAttrService, func(ne *netlink.AttributeEncoder) error {
			ne.Uint16(ipvsSvcAF, syscall.AF_INET)
			ne.Uint16(ipvsSvcProtocol, proto)
			a := netip.MustParseAddr(addr).As4()
			ne.Bytes(ipvsSvcAddr, append(a[:], make([]byte, 12)...))
			ne.Bytes(ipvsSvcPort, binary.BigEndian.AppendUint16(nil, port))
			ne.String(ipvsSvcSchedName, sched)
			f := binary.NativeEndian.AppendUint32(nil, flags)
			ne.Bytes(ipvsSvcFlags, binary.NativeEndian.AppendUint32(f, 0xffffffff))
			ne.Uint32(ipvsSvcTimeout, timeout)
			ne.Uint32(ipvsSvcNetmask, 0xffffffff)
			return nil
		})
		b, _ := ae.Encode()
		return b
	}
	dest := func(addr string, port uint16, fwd, weight, act, inact uint32) []byte {
		ae := netlink.NewAttributeEncoder()
		ae.Nested(ipvsCmdAttrDest, func(ne *netlink.AttributeEncoder) error {
			a := netip.MustParseAddr(addr).As4()
			ne.Bytes(ipvsDestAddr, append(a[:], make([]byte, 12)...))
			ne.Bytes(ipvsDestPort, binary.BigEndian.AppendUint16(nil, port))
			ne.Uint32(ipvsDestFwd, fwd)
			ne.Uint32(ipvsDestWeight, weight)
			ne.Uint32(ipvsDestActive, act)
			ne.Uint32(ipvsDestInactive, inact)
			ne.Uint16(ipvsDestAddrFamily, syscall.AF_INET)
			return nil
		})
		b, _ := ae.Encode()
		return b
	}
	tcp := svc(syscall.IPPROTO_TCP, "198.18.200.10", 80, "rr", 0x2, 0)
	udp := svc(syscall.IPPROTO_UDP, "198.18.200.53", 53, "wrr", 0x3, 10800)
	return genltest.ServeFamily(genetlink.Family{ID: 0x24, Version: 1, Name: "IPVS"},
		func(req genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
			switch req.Header.Command {
			case ipvsCmdGetInfo:
				ae := netlink.NewAttributeEncoder()
				ae.Uint32(ipvsInfoVersion, 0x010201)
				ae.Uint32(ipvsInfoConnTab, 4096)
				b, _ := ae.Encode()
				return []genetlink.Message{{Data: b}}, nil
			case ipvsCmdGetService:
				return []genetlink.Message{{Data: tcp}, {Data: udp}}, nil
			case ipvsCmdGetDest:
				if bytes.Contains(req.Data, binary.BigEndian.AppendUint16(nil, 80)) {
					return []genetlink.Message{
						{Data: dest("198.18.0.6", 8080, 0, 1, 3, 7)},
						{Data: dest("198.18.1.7", 8080, 2, 5, 0, 1)},
					}, nil
				}
				// genltest cannot send an empty dump: a message without a
				// destination stands for it.
				return []genetlink.Message{{Data: []byte{4, 0, 0, 0}}}, nil
			}
			t.Errorf("unexpected IPVS command %d", req.Header.Command)
			return nil, genltest.Error(int(syscall.EINVAL))
		})
}

func TestIPVSDecode(t *testing.T) {
	c := genltest.Dial(ipvsReplies(t))
	defer c.Close()
	st, err := DumpConn(c)
	if err != nil {
		t.Fatal(err)
	}
	want := &State{Version: "1.2.1", ConnTableSize: 4096, Services: []Service{
		{Protocol: "TCP", Address: netip.MustParseAddr("198.18.200.10"), Port: 80, Scheduler: "rr", Netmask: 0xffffffff,
			Destinations: []Destination{
				{Address: netip.MustParseAddr("198.18.0.6"), Port: 8080, Forward: "Masq", Weight: 1, ActiveConns: 3, InactiveConns: 7},
				{Address: netip.MustParseAddr("198.18.1.7"), Port: 8080, Forward: "Tunnel", Weight: 5, InactiveConns: 1},
			}},
		{Protocol: "UDP", Address: netip.MustParseAddr("198.18.200.53"), Port: 53, Scheduler: "wrr", Flags: []string{"persistent"}, Timeout: 10800, Netmask: 0xffffffff,
			Destinations: []Destination{}},
	}}
	if diff := cmp.Diff(want, st, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Fatalf("DumpConn (-want +got):\n%s", diff)
	}
}

func TestIPVSNotLoaded(t *testing.T) {
	c := genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(syscall.ENOENT))
	})
	defer c.Close()
	if _, err := DumpConn(c); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("DumpConn without the IPVS family = %v, want ErrNotLoaded", err)
	}
}
