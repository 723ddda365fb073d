package filter

import (
	"fmt"
	"strconv"
	"strings"
)

// LinkType is a pcap LINKTYPE_ value, the number written in pcap file headers.
type LinkType int

// The link types the compiler supports, named as tcpdump's -y names them.
const (
	EN10MB     LinkType = 1
	RAW        LinkType = 101 // LINKTYPE_RAW (DLT_RAW is 12 on Linux)
	LINUX_SLL  LinkType = 113
	IPV4       LinkType = 228
	IPV6       LinkType = 229
	LINUX_SLL2 LinkType = 276

	// linkPPP is only reached inside `pppoes`, where libpcap switches to PPP rules.
	linkPPP LinkType = 9
)

var linkNames = map[LinkType]string{
	EN10MB: "EN10MB", RAW: "RAW", LINUX_SLL: "LINUX_SLL", IPV4: "IPV4", IPV6: "IPV6", LINUX_SLL2: "LINUX_SLL2", linkPPP: "PPP",
}

// ParseLinkType accepts tcpdump's -y names (case-insensitive) or a LINKTYPE number.
func ParseLinkType(name string) (LinkType, error) {
	up := strings.ToUpper(strings.TrimSpace(name))
	for lt, n := range linkNames {
		if n == up && lt != linkPPP {
			return lt, nil
		}
	}
	if n, err := strconv.Atoi(up); err == nil {
		if _, ok := linkNames[LinkType(n)]; ok && LinkType(n) != linkPPP {
			return LinkType(n), nil
		}
	}
	return 0, fmt.Errorf("parse link type %q: unsupported: use EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4 or IPV6", name)
}

// String returns tcpdump's -y name.
func (lt LinkType) String() string {
	if n, ok := linkNames[lt]; ok {
		return n
	}
	return fmt.Sprintf("LINKTYPE(%d)", int(lt))
}

// description names the link type the way libpcap's error messages do.
func (lt LinkType) description() string {
	switch lt {
	case EN10MB:
		return "Ethernet"
	case LINUX_SLL:
		return "Linux cooked v1"
	case LINUX_SLL2:
		return "Linux cooked v2"
	case RAW:
		return "Raw IP"
	case IPV4:
		return "Raw IPv4"
	case IPV6:
		return "Raw IPv6"
	case linkPPP:
		return "PPP"
	}
	return lt.String()
}
