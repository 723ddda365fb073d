package probe

import (
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

// testDNS is a DNS server listening on UDP and TCP port 53 inside a test
// netns, with sockets created there through nsutil. Its zone:
//   - web.b.example. A 198.18.5.5 (AAAA: NODATA); kubernetes.svc.cluster.local. likewise
//   - sf.a.example.: SERVFAIL; refused.a.example.: REFUSED
//   - quiet.a.example.: never answers
//   - slow.a.example.: A 198.18.5.6 after slowDelay
//   - big.example.: UDP replies truncated (TC, no records); TCP gives 3 A records
//   - everything else: NXDOMAIN
type testDNS struct {
	addr netip.AddrPort
	mu   sync.Mutex
	log  []loggedQuery
}

type loggedQuery struct {
	Name, Type, Proto string
}

const slowDelay = 300 * time.Millisecond

func startTestDNS(t *testing.T, netnsPath, ip string) *testDNS {
	t.Helper()
	ns, err := nsutil.Open(netnsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	s := &testDNS{addr: netip.AddrPortFrom(netip.MustParseAddr(ip), 53)}
	sa := &unix.SockaddrInet4{Port: 53, Addr: s.addr.Addr().As4()}
	bound := func(typ int) *os.File {
		fd, err := ns.Socket(unix.AF_INET, typ, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(fd, sa); err != nil {
			unix.Close(fd)
			t.Fatalf("bind %s: %v", s.addr, err)
		}
		if typ == unix.SOCK_STREAM {
			if err := unix.Listen(fd, 16); err != nil {
				t.Fatal(err)
			}
		}
		return os.NewFile(uintptr(fd), "dns")
	}
	uf, tf := bound(unix.SOCK_DGRAM), bound(unix.SOCK_STREAM)
	pc, err := net.FilePacketConn(uf)
	uf.Close()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{
		{PacketConn: pc, Handler: dns.HandlerFunc(s.serve("udp"))},
		{Listener: ln, Handler: dns.HandlerFunc(s.serve("tcp"))},
	} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return s
}

func (s *testDNS) serve(proto string) func(w dns.ResponseWriter, r *dns.Msg) {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		if len(r.Question) != 1 {
			return
		}
		q := r.Question[0]
		name := strings.ToLower(q.Name)
		s.mu.Lock()
		s.log = append(s.log, loggedQuery{name, dns.TypeToString[q.Qtype], proto})
		s.mu.Unlock()
		m := new(dns.Msg)
		m.SetReply(r)
		a := func(ip string) dns.RR {
			return &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.ParseIP(ip)}
		}
		switch name {
		case "web.b.example.", "kubernetes.svc.cluster.local.":
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, a("198.18.5.5"))
			}
		case "sf.a.example.":
			m.Rcode = dns.RcodeServerFailure
		case "refused.a.example.":
			m.Rcode = dns.RcodeRefused
		case "quiet.a.example.":
			return
		case "slow.a.example.":
			time.Sleep(slowDelay)
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, a("198.18.5.6"))
			}
		case "big.example.":
			if proto == "udp" {
				m.Truncated = true
			} else if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, a("198.18.5.7"), a("198.18.5.8"), a("198.18.5.9"))
			}
		default:
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	}
}

// take returns the queries logged so far and clears the log.
func (s *testDNS) take() []loggedQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.log
	s.log = nil
	return l
}
