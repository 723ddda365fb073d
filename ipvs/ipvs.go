package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"

	"github.com/cloudflare/ipvs"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// State is the IPVS table, as `ipvsadm -Ln` shows it.
type State struct {
	Version       string    `json:"version"` // "1.2.1"
	ConnTableSize uint32    `json:"connTableSize"`
	Services      []Service `json:"services"`
}

// Service is a virtual server.
type Service struct {
	Protocol     string        `json:"protocol"` // TCP, UDP, SCTP; "" for a firewall-mark service
	Address      netip.Addr    `json:"address"`
	Port         uint16        `json:"port"`
	FWMark       uint32        `json:"fwmark,omitempty"`
	Scheduler    string        `json:"scheduler"`
	Flags        []string      `json:"flags,omitempty"` // persistent, hashed, ops, …
	Timeout      uint32        `json:"timeout,omitempty"`
	Netmask      uint32        `json:"netmask,omitempty"`
	Destinations []Destination `json:"destinations"`
}

// Destination is a real server.
type Destination struct {
	Address       netip.Addr `json:"address"`
	Port          uint16     `json:"port"`
	Forward       string     `json:"forward"` // Masq, Local, Tunnel, Route, Bypass
	Weight        uint32     `json:"weight"`
	ActiveConns   uint32     `json:"activeConns"`
	InactiveConns uint32     `json:"inactiveConns"`
}

// IPVS generic netlink numbers from linux/ip_vs.h. cloudflare/ipvs keeps its
// own in an internal package, and its client cannot be handed a connection,
// so netdiag decodes the replies itself and reuses the library's types only.
const (
	ipvsCmdGetService = 4
	ipvsCmdGetDest    = 8
	ipvsCmdGetInfo    = 15

	ipvsCmdAttrService = 1
	ipvsCmdAttrDest    = 2

	ipvsSvcAF        = 1
	ipvsSvcProtocol  = 2
	ipvsSvcAddr      = 3
	ipvsSvcPort      = 4
	ipvsSvcFWMark    = 5
	ipvsSvcSchedName = 6
	ipvsSvcFlags     = 7
	ipvsSvcTimeout   = 8
	ipvsSvcNetmask   = 9

	ipvsDestAddr       = 1
	ipvsDestPort       = 2
	ipvsDestFwd        = 3
	ipvsDestWeight     = 4
	ipvsDestActive     = 7
	ipvsDestInactive   = 8
	ipvsDestAddrFamily = 11

	ipvsInfoVersion = 1
	ipvsInfoConnTab = 2
)

// DumpConn reads the IPVS table over an open generic netlink connection.
func DumpConn(c *genetlink.Conn) (*State, error) {
	fam, err := c.GetFamily("IPVS")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) {
			return nil, ErrNotLoaded
		}
		return nil, fmt.Errorf("look up the IPVS netlink family: %w", explainNetlink(err))
	}
	st := &State{Services: []Service{}}
	msgs, err := c.Execute(genetlink.Message{Header: genetlink.Header{Command: ipvsCmdGetInfo, Version: fam.Version}}, fam.ID, netlink.Request)
	if err == nil {
		for _, m := range msgs {
			decodeIPVSInfo(m.Data, st)
		}
	}
	msgs, err = c.Execute(genetlink.Message{Header: genetlink.Header{Command: ipvsCmdGetService, Version: fam.Version}}, fam.ID, netlink.Request|netlink.Dump)
	if err != nil {
		return nil, fmt.Errorf("list IPVS services: %w", explainNetlink(err))
	}
	type svcRaw struct {
		svc Service
		id  []byte // the identifying attributes, to ask for its destinations
	}
	var raws []svcRaw
	for _, m := range msgs {
		s, id, err := decodeIPVSService(m.Data)
		if err != nil {
			return nil, fmt.Errorf("decode IPVS service: %w", err)
		}
		raws = append(raws, svcRaw{s, id})
	}
	for _, r := range raws {
		ae := netlink.NewAttributeEncoder()
		ae.Bytes(nlaFNested|ipvsCmdAttrService, r.id)
		b, err := ae.Encode()
		if err != nil {
			return nil, err
		}
		dm, err := c.Execute(genetlink.Message{Header: genetlink.Header{Command: ipvsCmdGetDest, Version: fam.Version}, Data: b}, fam.ID, netlink.Request|netlink.Dump)
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("list IPVS destinations of %s: %w", r.svc.Key(), explainNetlink(err))
		}
		s := r.svc
		s.Destinations = []Destination{}
		for _, m := range dm {
			d, ok, err := decodeIPVSDest(m.Data, s.Address.Is6())
			if err != nil {
				return nil, fmt.Errorf("decode IPVS destination: %w", err)
			}
			if ok {
				s.Destinations = append(s.Destinations, d)
			}
		}
		st.Services = append(st.Services, s)
	}
	return st, nil
}

// Key is "TCP 10.0.0.1:80" or "FWM 5".
func (s Service) Key() string {
	if s.FWMark != 0 {
		return fmt.Sprintf("FWM %d", s.FWMark)
	}
	return s.Protocol + " " + netip.AddrPortFrom(s.Address, s.Port).String()
}

func decodeIPVSInfo(b []byte, st *State) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return
	}
	for ad.Next() {
		switch ad.Type() {
		case ipvsInfoVersion:
			v := ad.Uint32()
			st.Version = fmt.Sprintf("%d.%d.%d", v>>16&0xff, v>>8&0xff, v&0xff)
		case ipvsInfoConnTab:
			st.ConnTableSize = ad.Uint32()
		}
	}
}

func ipvsAddr(b []byte, v6 bool) netip.Addr {
	if len(b) < 4 {
		return netip.Addr{}
	}
	if v6 && len(b) >= 16 {
		return netip.AddrFrom16([16]byte(b[:16]))
	}
	return netip.AddrFrom4([4]byte(b[:4]))
}

func decodeIPVSService(b []byte) (Service, []byte, error) {
	var s Service
	var id []byte
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return s, nil, err
	}
	for ad.Next() {
		if ad.Type() != ipvsCmdAttrService {
			continue
		}
		raw := ad.Bytes()
		sd, err := netlink.NewAttributeDecoder(raw)
		if err != nil {
			return s, nil, err
		}
		var af uint16
		var addr []byte
		var flags uint32
		ide := netlink.NewAttributeEncoder()
		for sd.Next() {
			switch sd.Type() {
			case ipvsSvcAF:
				af = sd.Uint16()
				ide.Uint16(ipvsSvcAF, af)
			case ipvsSvcProtocol:
				p := sd.Uint16()
				s.Protocol = strings.ToUpper(ipvs.Protocol(p).String())
				ide.Uint16(ipvsSvcProtocol, p)
			case ipvsSvcAddr:
				addr = sd.Bytes()
				ide.Bytes(ipvsSvcAddr, addr)
			case ipvsSvcPort:
				pb := sd.Bytes()
				if len(pb) == 2 {
					s.Port = binary.BigEndian.Uint16(pb)
				}
				ide.Bytes(ipvsSvcPort, pb)
			case ipvsSvcFWMark:
				s.FWMark = sd.Uint32()
				if s.FWMark != 0 {
					ide.Uint32(ipvsSvcFWMark, s.FWMark)
				}
			case ipvsSvcSchedName:
				s.Scheduler = sd.String()
			case ipvsSvcFlags:
				if fb := sd.Bytes(); len(fb) >= 4 {
					flags = binary.NativeEndian.Uint32(fb)
				}
			case ipvsSvcTimeout:
				s.Timeout = sd.Uint32()
			case ipvsSvcNetmask:
				s.Netmask = sd.Uint32()
			}
		}
		if err := sd.Err(); err != nil {
			return s, nil, err
		}
		s.Address = ipvsAddr(addr, af == syscall.AF_INET6)
		if s.FWMark != 0 {
			s.Protocol = ""
		}
		for _, f := range []struct {
			bit  uint32
			name string
		}{{0x1, "persistent"}, {0x4, "ops"}, {0x8, "sh-fallback"}, {0x10, "sh-port"}} {
			if flags&f.bit != 0 {
				s.Flags = append(s.Flags, f.name)
			}
		}
		id, err = ide.Encode()
		if err != nil {
			return s, nil, err
		}
	}
	return s, id, ad.Err()
}

var ipvsForward = map[ipvs.ForwardType]string{ipvs.Masquerade: "Masq", ipvs.Local: "Local", ipvs.Tunnel: "Tunnel", ipvs.DirectRoute: "Route", ipvs.Bypass: "Bypass"}

func decodeIPVSDest(b []byte, v6 bool) (Destination, bool, error) {
	var d Destination
	found := false
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return d, false, err
	}
	for ad.Next() {
		if ad.Type() != ipvsCmdAttrDest {
			continue
		}
		found = true
		dd, err := netlink.NewAttributeDecoder(ad.Bytes())
		if err != nil {
			return d, false, err
		}
		var addr []byte
		fam := uint16(0)
		for dd.Next() {
			switch dd.Type() {
			case ipvsDestAddr:
				addr = dd.Bytes()
			case ipvsDestPort:
				if pb := dd.Bytes(); len(pb) == 2 {
					d.Port = binary.BigEndian.Uint16(pb)
				}
			case ipvsDestFwd:
				f := ipvs.ForwardType(dd.Uint32() & 0x7)
				d.Forward = ipvsForward[f]
				if d.Forward == "" {
					d.Forward = f.String()
				}
			case ipvsDestWeight:
				d.Weight = dd.Uint32()
			case ipvsDestActive:
				d.ActiveConns = dd.Uint32()
			case ipvsDestInactive:
				d.InactiveConns = dd.Uint32()
			case ipvsDestAddrFamily:
				fam = dd.Uint16()
			}
		}
		if err := dd.Err(); err != nil {
			return d, false, err
		}
		if fam != 0 {
			v6 = fam == syscall.AF_INET6
		}
		d.Address = ipvsAddr(addr, v6)
	}
	return d, found, ad.Err()
}

// Filter keeps the service with that protocol, address and port.
func (st *State) Filter(proto string, ap netip.AddrPort) []Service {
	out := []Service{}
	for _, s := range st.Services {
		if strings.EqualFold(s.Protocol, proto) && s.Address == ap.Addr() && s.Port == ap.Port() {
			out = append(out, s)
		}
	}
	return out
}

// explainNetlink turns EPERM into advice. (Before the split of netstate it
// also said "nf_tables is not available" for EPROTONOSUPPORT, which generic
// netlink does not return.)
func explainNetlink(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("needs CAP_NET_ADMIN: run as root: %w", err)
	}
	return err
}

// nlaFNested is NLA_F_NESTED, which golang.org/x/sys/unix names on Linux only.
const nlaFNested = 0x8000
