package filter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/netdiag/netdiag/internal/hostfile"
)

// Services and protocols are built in (from Debian's /etc/services and
// /etc/protocols) so that compiling is the same on every host.
const servicesTable = `ftp-data 20/tcp;ftp 21/tcp;ssh 22/tcp;telnet 23/tcp;smtp 25/tcp;mail 25/tcp;time 37/tcp;time 37/udp;
whois 43/tcp;tacacs 49/tcp;tacacs 49/udp;domain 53/tcp;domain 53/udp;bootps 67/udp;bootpc 68/udp;tftp 69/udp;
gopher 70/tcp;finger 79/tcp;http 80/tcp;www 80/tcp;kerberos 88/tcp;kerberos 88/udp;kerberos5 88/tcp;kerberos5 88/udp;
krb5 88/tcp;krb5 88/udp;pop3 110/tcp;pop-3 110/tcp;sunrpc 111/tcp;sunrpc 111/udp;portmapper 111/tcp;portmapper 111/udp;
auth 113/tcp;nntp 119/tcp;ntp 123/udp;epmap 135/tcp;netbios-ns 137/udp;netbios-dgm 138/udp;netbios-ssn 139/tcp;
imap2 143/tcp;imap 143/tcp;snmp 161/tcp;snmp 161/udp;snmp-trap 162/tcp;snmp-trap 162/udp;snmptrap 162/tcp;
snmptrap 162/udp;bgp 179/tcp;irc 194/tcp;ldap 389/tcp;ldap 389/udp;https 443/tcp;https 443/udp;microsoft-ds 445/tcp;
kpasswd 464/tcp;submissions 465/tcp;isakmp 500/udp;syslog 514/udp;printer 515/tcp;route 520/udp;
submission 587/tcp;ipp 631/tcp;ldaps 636/tcp;ldaps 636/udp;rsync 873/tcp;domain-s 853/tcp;domain-s 853/udp;
imaps 993/tcp;pop3s 995/tcp;socks 1080/tcp;openvpn 1194/tcp;openvpn 1194/udp;ms-sql-s 1433/tcp;
l2tp 1701/udp;radius 1812/tcp;radius 1812/udp;nfs 2049/tcp;nfs 2049/udp;mysql 3306/tcp;sip 5060/tcp;sip 5060/udp;
sip-tls 5061/tcp;sip-tls 5061/udp;xmpp-client 5222/tcp;postgresql 5432/tcp;postgres 5432/tcp;redis 6379/tcp;
http-alt 8080/tcp;webcache 8080/tcp;`

var ipProtos = map[string]uint32{
	"ip": 0, "hopopt": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "st": 5, "tcp": 6, "egp": 8, "igp": 9,
	"pup": 12, "udp": 17, "hmp": 20, "xns-idp": 22, "rdp": 27, "iso-tp4": 29, "dccp": 33, "xtp": 36, "ddp": 37,
	"idpr-cmtp": 38, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "idrp": 45, "rsvp": 46, "gre": 47,
	"esp": 50, "ah": 51, "skip": 57, "ipv6-icmp": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "rspf": 73,
	"vmtp": 81, "eigrp": 88, "ospf": 89, "ax.25": 93, "ipip": 94, "etherip": 97, "encap": 98, "pim": 103,
	"ipcomp": 108, "vrrp": 112, "l2tp": 115, "isis": 124, "sctp": 132, "fc": 133, "mobility-header": 135,
	"udplite": 136, "mpls-in-ip": 137, "manet": 138, "hip": 139, "shim6": 140, "wesp": 141, "rohc": 142,
	"ethernet": 143,
	// Aliases from /etc/protocols.
	"IP": 0, "HOPOPT": 0, "ICMP": 1, "IGMP": 2, "TCP": 6, "UDP": 17, "IPv6": 41, "GRE": 47, "ESP": 50, "AH": 51,
	"IPv6-ICMP": 58, "PIM": 103, "VRRP": 112, "SCTP": 132, "OSPFIGP": 89,
}

// etherProtos are libpcap's built-in names for `ether proto \NAME`.
var etherProtos = map[string]uint32{
	"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035, "atalk": 0x809b, "aarp": 0x80f3,
	"decnet": 0x6003, "sca": 0x6007, "lat": 0x6004, "mopdl": 0x6001, "moprc": 0x6002, "loopback": 0x9000,
	"iso": 0xfe, "stp": 0x42, "ipx": 0xe0, "netbeui": 0xf0,
}

type service struct {
	tcp, udp int
}

var services = func() map[string]service {
	m := map[string]service{}
	for _, e := range strings.Split(strings.ReplaceAll(servicesTable, "\n", ""), ";") {
		f := strings.Fields(e)
		if len(f) != 2 {
			continue
		}
		pp := strings.SplitN(f[1], "/", 2)
		port, _ := strconv.Atoi(pp[0])
		s, ok := m[f[0]]
		if !ok {
			s = service{-1, -1}
		}
		if pp[1] == "tcp" {
			s.tcp = port
		} else {
			s.udp = port
		}
		m[f[0]] = s
	}
	return m
}()

func protoName(p uint32) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 132:
		return "sctp"
	}
	return strconv.Itoa(int(p))
}

// lookupPort resolves a service name as pcap_nametoport does: tcp first,
// and protocol 0 when tcp and udp agree.
func lookupPort(name string) (port, proto uint32, ok bool) {
	s, found := services[name]
	if !found {
		return 0, 0, false
	}
	if s.tcp >= 0 {
		if s.udp == s.tcp {
			return uint32(s.tcp), 0, true
		}
		return uint32(s.tcp), 6, true
	}
	return uint32(s.udp), 17, true
}

func lookupPortRange(s string) (lo, hi, proto uint32, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, 0, false
	}
	one := func(x string) (uint32, uint32, bool) {
		if v, err := parseNum(x); err == nil {
			if v > 65535 {
				return 0, 0, false
			}
			return v, 0, true
		}
		return lookupPort(x)
	}
	lo, p1, ok1 := one(a)
	hi, p2, ok2 := one(b)
	if !ok1 || !ok2 {
		return 0, 0, 0, false
	}
	proto = p1
	if p2 != 0 {
		proto = p2
	}
	return lo, hi, proto, true
}

// osiProtos are libpcap's names for `iso proto \NAME`.
var osiProtos = map[string]uint32{"clnp": nlpidCLNP, "esis": nlpidESIS, "isis": nlpidISIS}

// lookupProto resolves `PQ proto NAME`; libpcap has names only for ip,
// ip6, link and iso, so NAME is unknown after any other qualifier.
func lookupProto(name, pq string) (uint32, bool) {
	switch pq {
	case "", "ip", "ip6", "link", "iso":
	default:
		return 0, false
	}
	if pq == "iso" {
		v, ok := osiProtos[name]
		return v, ok
	}
	if pq == "link" {
		v, ok := etherProtos[name]
		return v, ok
	}
	v, ok := ipProtos[name]
	return v, ok
}

// resolver turns host names into addresses from a hosts file, and from DNS
// only when allowed; Ethernet host names from an ethers(5) file and network
// names from a networks(5) file, as glibc's ether_hostton and getnetbyname
// read them for libpcap.
type resolver struct {
	hostsFile    string
	ethersFile   string
	networksFile string
	allowDNS     bool
}

// maxNameFile bounds a hosts, ethers or networks file: they are the node's,
// and a filter must not hang on a FIFO or read a device in their place.
const maxNameFile = 64 << 20

// nameLines calls f with the fields of each line of path (two or more),
// comments removed, until f returns true. A missing file has no names in it.
func nameLines(path string, f func(fields []string) bool) error {
	file, err := openNameFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if fs := strings.Fields(line); len(fs) >= 2 && f(fs) {
			return nil
		}
	}
	return sc.Err()
}

// openNameFile opens a name file as the node's files are opened (regular
// files only, bounded); off Linux, where hostfile has no guards and netdiag
// only compiles filters, as any file.
func openNameFile(path string) (io.ReadCloser, error) {
	f, err := hostfile.Open(path, maxNameFile)
	if errors.Is(err, hostfile.ErrNotSupported) {
		return os.Open(path)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

func orDefault(path, def string) string {
	if path == "" {
		return def
	}
	return path
}

// lookupEther finds name in the ethers file ("MAC name" lines). glibc
// compares names without regard to case.
func (r *resolver) lookupEther(name string) (mac [6]byte, found bool, err error) {
	path := orDefault(r.ethersFile, "/etc/ethers")
	err = nameLines(path, func(fs []string) bool {
		if !strings.EqualFold(fs[1], name) {
			return false
		}
		mac, found = parseEthersMAC(fs[0])
		return found
	})
	if err != nil {
		return mac, false, fmt.Errorf("read ethers file: %w", err)
	}
	return mac, found, nil
}

// parseEthersMAC reads ethers(5)'s x:x:x:x:x:x, one or two hex digits each.
func parseEthersMAC(s string) (mac [6]byte, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return mac, false
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil || p == "" || len(p) > 2 {
			return mac, false
		}
		mac[i] = byte(v)
	}
	return mac, true
}

// lookupNet finds name (or an alias) in the networks file ("name number
// aliases..." lines) and returns the number as glibc's getnetbyname does:
// a short number is padded with zero parts, so "10.20" is 10.20.0.0.
func (r *resolver) lookupNet(name string) (v uint32, found bool, err error) {
	path := orDefault(r.networksFile, "/etc/networks")
	err = nameLines(path, func(fs []string) bool {
		match := strings.EqualFold(fs[0], name)
		for _, a := range fs[2:] {
			match = match || strings.EqualFold(a, name)
		}
		if match {
			num := fs[1]
			for n := strings.Count(num, ".") + 1; n < 4; n++ {
				num += ".0"
			}
			v, found = inetNetwork(num)
		}
		return found
	})
	if err != nil {
		return 0, false, fmt.Errorf("read networks file: %w", err)
	}
	return v, found, nil
}

// inetNetwork is inet_network(3): up to four dot-separated parts, each
// decimal, octal (leading 0) or hex (0x), each a byte, packed low-aligned.
func inetNetwork(s string) (uint32, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return 0, false
	}
	var v uint32
	for _, p := range parts {
		n, err := strconv.ParseUint(p, 0, 32)
		if err != nil || n > 255 {
			return 0, false
		}
		v = v<<8 | uint32(n)
	}
	return v, true
}

func (r *resolver) lookupHost(name string) ([]netip.Addr, error) {
	var out []netip.Addr
	err := nameLines(orDefault(r.hostsFile, "/etc/hosts"), func(fs []string) bool {
		a, err := netip.ParseAddr(fs[0])
		if err != nil {
			return false
		}
		for _, n := range fs[1:] {
			if strings.EqualFold(n, name) {
				out = append(out, a.Unmap())
				break
			}
		}
		return false
	})
	if len(out) > 0 || !r.allowDNS {
		if len(out) == 0 && err != nil {
			return nil, fmt.Errorf("read hosts file: %w", err)
		}
		return out, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, derr := net.DefaultResolver.LookupNetIP(ctx, "ip", name)
	if derr != nil {
		return nil, nil
	}
	for _, a := range ips {
		out = append(out, a.Unmap())
	}
	return out, nil
}
