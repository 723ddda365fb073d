package analyze

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// capture runs tcpdump in a netns until stop is called and returns the file.
func capture(t *testing.T, ns, iface string) (file string, stop func() string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "cap.pcap")
	p := testlab.StartTcpdump(t, ns, file, "-Z", "root", "--immediate-mode", "-n", "-i", iface)
	syncCapture(t, ns, iface, file)
	return file, func() string {
		time.Sleep(200 * time.Millisecond) // let the last packets reach the ring
		p.Stop(t)
		return file
	}
}

// syncCapture returns once tcpdump writes packets: on a loaded machine it
// may say it listens before it captures. It sends frames of the local
// experimental EtherType 0x88b5, which the analysis ignores, until the file
// holds one.
func syncCapture(t *testing.T, ns, iface, file string) {
	t.Helper()
	n := openNS(t, ns)
	fd, err := n.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var idx int
	if err := n.Do(func() error {
		i, err := net.InterfaceByName(iface)
		if err == nil {
			idx = i.Index
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5})
	for i := 0; i < 250; i++ {
		if err := unix.Sendto(fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: idx}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		if st, err := os.Stat(file); err == nil && st.Size() > 24 {
			return
		}
	}
	t.Fatal("tcpdump wrote no packet in 5 s")
}

func analyzeFile(t *testing.T, file string) *Report {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{})
	if err := a.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return a.Report()
}

func openNS(t *testing.T, name string) *nsutil.NetNS {
	t.Helper()
	ns, err := nsutil.Open(testlab.NetNSPath(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// dialIn connects from inside ns; the socket stays there.
func dialIn(t *testing.T, ns *nsutil.NetNS, addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp", addr, timeout)
		return err
	})
	return c, err
}

func listenIn(t *testing.T, ns *nsutil.NetNS, network, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen(network, addr); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// pairNS makes a client and a server netns joined by a veth pair.
func pairNS(t *testing.T, net3 string) (cl, sv string, clIf string) {
	cl, sv = testlab.NewNetNS(t), testlab.NewNetNS(t)
	clIf, _ = testlab.VethPair(t, cl, net3+".1/24", sv, net3+".2/24")
	return cl, sv, clIf
}

func patterns(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Severity+" "+f.Pattern)
	}
	return out
}

func requirePattern(t *testing.T, r *Report, pattern string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Pattern == pattern {
			return f
		}
	}
	t.Fatalf("no %s finding; got %v", pattern, patterns(r))
	return Finding{}
}

func TestLabCaptures(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "tcpdump", "iptables", "getent")

	t.Run("closed port", func(t *testing.T) {
		cl, _, clIf := pairNS(t, "198.18.20")
		file, stop := capture(t, cl, clIf)
		if c, err := dialIn(t, openNS(t, cl), "198.18.20.2:9", time.Second); err == nil {
			c.Close()
			t.Fatal("connect to a closed port succeeded")
		}
		r := analyzeFile(t, stop())
		f := requirePattern(t, r, "tcp-refused")
		if f.Evidence["server"] != "198.18.20.2:9" || r.TCP.Refused != 1 {
			t.Errorf("finding %+v, counts %+v", f, r.TCP)
		}
		_ = file
	})

	t.Run("SYN dropped by iptables in the pod", func(t *testing.T) {
		cl, sv, clIf := pairNS(t, "198.18.21")
		testlab.InNetNS(t, sv, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP")
		_, stop := capture(t, cl, clIf)
		if c, err := dialIn(t, openNS(t, cl), "198.18.21.2:8080", 3500*time.Millisecond); err == nil {
			c.Close()
			t.Fatal("connect through a DROP rule succeeded")
		}
		r := analyzeFile(t, stop())
		f := requirePattern(t, r, "tcp-syn-timeout")
		if n := f.Evidence["synsSent"].(int); n < 3 {
			t.Errorf("synsSent = %d, want at least 3 (SYN at 0, 1 and 3 s)", n)
		}
	})

	t.Run("server that never accepts", func(t *testing.T) {
		cl, sv, clIf := pairNS(t, "198.18.22")
		svNS := openNS(t, sv)
		fd, err := svNS.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 8080, Addr: [4]byte{198, 18, 22, 2}}); err != nil {
			t.Fatal(err)
		}
		if err := unix.Listen(fd, 0); err != nil { // accept queue of one, never accepted
			t.Fatal(err)
		}
		_, stop := capture(t, cl, clIf)
		clNS := openNS(t, cl)
		for i := 0; i < 3; i++ {
			c, err := dialIn(t, clNS, "198.18.22.2:8080", 2*time.Second)
			if err != nil {
				continue
			}
			defer c.Close()
			_, _ = c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		}
		time.Sleep(2500 * time.Millisecond)
		r := analyzeFile(t, stop())
		t.Logf("findings: %v", patterns(r))
		requirePattern(t, r, "tcp-no-server-data")
		// Connections past the full queue show as overflow or unanswered SYNs.
		var overflow bool
		for _, f := range r.Findings {
			overflow = overflow || f.Pattern == "tcp-listen-overflow" || f.Pattern == "tcp-syn-timeout"
		}
		if !overflow {
			t.Errorf("no tcp-listen-overflow or tcp-syn-timeout for the connections beyond the backlog: %v", patterns(r))
		}
	})

	t.Run("DNS server that answers only A", func(t *testing.T) {
		cl, sv, clIf := pairNS(t, "198.18.23")
		serveDNS(t, openNS(t, sv), "198.18.23.2:53", false)
		resolvIn(t, cl, "nameserver 198.18.23.2\noptions timeout:1 attempts:2\n")
		_, stop := capture(t, cl, clIf)
		out, _ := exec.Command("ip", "netns", "exec", cl, "getent", "ahosts", "web.lab.test").CombinedOutput()
		r := analyzeFile(t, stop())
		t.Logf("getent: %s findings: %v", out, patterns(r))
		f := requirePattern(t, r, "dns-parallel-query-lost")
		if f.Evidence["lost"] != "AAAA web.lab.test." {
			t.Errorf("lost = %v, want the AAAA query", f.Evidence["lost"])
		}
	})

	t.Run("smaller MTU in the path", func(t *testing.T) {
		for _, blackhole := range []bool{false, true} {
			t.Run(fmt.Sprint("icmp dropped=", blackhole), func(t *testing.T) {
				cl, rt, sv := testlab.NewNetNS(t), testlab.NewNetNS(t), testlab.NewNetNS(t)
				clIf, _ := testlab.VethPair(t, cl, "198.18.24.1/24", rt, "198.18.24.2/24")
				rtIf, _ := testlab.VethPair(t, rt, "198.18.25.1/24", sv, "198.18.25.2/24")
				testlab.Run(t, "ip", "-n", rt, "link", "set", rtIf, "mtu", "1000")
				testlab.InNetNS(t, rt, "sysctl", "-qw", "net.ipv4.ip_forward=1")
				testlab.Run(t, "ip", "-n", cl, "route", "add", "default", "via", "198.18.24.2")
				testlab.Run(t, "ip", "-n", sv, "route", "add", "default", "via", "198.18.25.1")
				if blackhole {
					testlab.InNetNS(t, rt, "iptables", "-A", "OUTPUT", "-p", "icmp", "--icmp-type", "fragmentation-needed", "-j", "DROP")
				}
				l := listenIn(t, openNS(t, sv), "tcp", "198.18.25.2:8080")
				go func() {
					c, err := l.Accept()
					if err != nil {
						return
					}
					defer c.Close()
					buf := make([]byte, 100)
					if _, err := io.ReadFull(c, buf); err == nil {
						_, _ = c.Write([]byte("ok"))
					}
					_, _ = io.Copy(io.Discard, c)
				}()
				_, stop := capture(t, cl, clIf)
				c, err := dialIn(t, openNS(t, cl), "198.18.25.2:8080", 2*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = c.Write(make([]byte, 100))
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				_, _ = c.Read(make([]byte, 2))
				_ = c.SetWriteDeadline(time.Now().Add(2500 * time.Millisecond))
				_, _ = c.Write(make([]byte, 20000))
				time.Sleep(2500 * time.Millisecond)
				c.Close()
				r := analyzeFile(t, stop())
				t.Logf("findings: %v", patterns(r))
				if blackhole {
					f := requirePattern(t, r, "pmtu-blackhole")
					if f.Severity != SevFail || f.Evidence["segmentBytes"].(int) <= 1000 {
						t.Errorf("finding %+v", f)
					}
				} else {
					f := requirePattern(t, r, "pmtu-frag-needed")
					if f.Evidence["mtu"] != uint32(1000) || f.Evidence["from"] != "198.18.24.2" {
						t.Errorf("evidence %v", f.Evidence)
					}
				}
			})
		}
	})

	t.Run("healthy traffic", func(t *testing.T) {
		cl, sv, clIf := pairNS(t, "198.18.26")
		svNS := openNS(t, sv)
		serveDNS(t, svNS, "198.18.26.2:53", true)
		resolvIn(t, cl, "nameserver 198.18.26.2\noptions timeout:1 attempts:2\n")
		l := listenIn(t, svNS, "tcp", "198.18.26.2:8080")
		go func() {
			for i := 0; i < 5; i++ {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					buf := make([]byte, 64)
					n, _ := c.Read(buf)
					_, _ = c.Write(append([]byte("echo "), buf[:n]...))
				}()
			}
		}()
		_, stop := capture(t, cl, clIf)
		clNS := openNS(t, cl)
		for i := 0; i < 5; i++ {
			c, err := dialIn(t, clNS, "198.18.26.2:8080", time.Second)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = c.Write([]byte("hello"))
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			_, _ = io.ReadAll(c)
			c.Close()
		}
		if out, err := exec.Command("ip", "netns", "exec", cl, "getent", "ahosts", "web.lab.test").CombinedOutput(); err != nil {
			t.Fatalf("getent: %v %s", err, out)
		}
		testlab.InNetNS(t, cl, "ping", "-c", "2", "-i", "0.2", "-W", "1", "198.18.26.2")
		r := analyzeFile(t, stop())
		if r.Problems() {
			t.Errorf("healthy traffic reported as a problem: %+v", r.Findings)
		}
		if r.TCP.Established != 5 || r.DNS.Answered < 2 {
			t.Errorf("tcp %+v dns %+v", r.TCP, r.DNS)
		}
	})
}

// serveDNS answers A queries for anything with 198.18.99.1; AAAA only when
// aaaa is set, else it ignores them, as a broken upstream would.
func serveDNS(t *testing.T, ns *nsutil.NetNS, addr string, aaaa bool) {
	t.Helper()
	var pc net.PacketConn
	if err := ns.Do(func() (err error) { pc, err = net.ListenPacket("udp", addr); return err }); err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		switch q.Question[0].Qtype {
		case dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.IPv4(198, 18, 99, 1)})
		case dns.TypeAAAA:
			if !aaaa {
				return
			}
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.ShutdownContext(ctx)
	})
}

// resolvIn gives `ip netns exec NS` its own resolv.conf (/etc/netns/NS/), which
// it bind-mounts over /etc/resolv.conf for the command only.
func resolvIn(t *testing.T, ns, content string) {
	t.Helper()
	dir := filepath.Join("/etc/netns", ns)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
