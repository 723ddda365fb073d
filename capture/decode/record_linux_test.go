package decode

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/netdiag/netdiag/internal/testlab"
)

// The lab corpus: TestRecordCorpus builds two namespaces joined by a veth
// (198.18.0.1 and 198.18.0.2, IPv6 link-local), VXLAN (4789 and Linux's old
// 8472) and Geneve tunnels over it, captures on A's veth with tcpdump (pcap,
// Ethernet), on "any" (LINUX_SLL2) and on "any" with -y LINUX_SLL, while it
// sends bounded traffic of every protocol the package decodes. The captures
// are compared with tcpdump at once; with NETDIAG_RECORD_CORPUS=1 they are
// also copied to testdata/ (that is how testdata/lab-*.pcap were made).

const helperEnv = "NETDIAG_DECODE_HELPER"

// TestHelperProcess is not a test: the recorder runs the test binary inside a
// namespace (ip netns exec) with NETDIAG_DECODE_HELPER set to act as a
// traffic source or server there.
func TestHelperProcess(t *testing.T) {
	args := strings.Fields(os.Getenv(helperEnv))
	if len(args) == 0 {
		return
	}
	err := runHelper(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(args []string) error {
	deadline := time.Now().Add(20 * time.Second)
	switch args[0] {
	case "tcp-server":
		ln, err := net.Listen("tcp", args[1])
		if err != nil {
			return err
		}
		defer ln.Close()
		ln.(*net.TCPListener).SetDeadline(deadline)
		fmt.Println("ready")
		for {
			c, err := ln.Accept()
			if err != nil {
				return nil // deadline: done
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				n, _ := c.Read(buf)
				reply := []byte("world\n")
				if bytes.HasPrefix(buf[:n], []byte("GET ")) {
					reply = []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n")
				}
				c.Write(reply)
			}(c)
		}
	case "tcp-client":
		d := net.Dialer{Timeout: 3 * time.Second}
		c, err := d.Dial("tcp", args[1])
		if err != nil {
			return nil // refused is an expected outcome
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		payload := strings.ReplaceAll(strings.Join(args[2:], " "), `\r\n`, "\r\n")
		if _, err := io.WriteString(c, payload); err != nil {
			return err
		}
		io.Copy(io.Discard, c)
		return nil
	case "udp-send":
		c, err := net.Dial("udp", args[1])
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = io.WriteString(c, args[2])
		time.Sleep(200 * time.Millisecond)
		return err
	case "dns-server":
		return dnsServer(args[1], deadline)
	case "dns-query":
		cl := &dns.Client{Net: args[4], Timeout: 3 * time.Second}
		m := new(dns.Msg)
		m.SetQuestion(args[2], dns.StringToType[args[3]])
		if len(args) > 5 {
			m.SetEdns0(1232, true)
		}
		_, _, err := cl.Exchange(m, args[1])
		return err
	}
	return fmt.Errorf("unknown helper mode %q", args[0])
}

func dnsServer(addr string, deadline time.Time) error {
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		q := r.Question[0]
		soa, _ := dns.NewRR("test. 300 IN SOA ns.test. admin.test. 1 7200 3600 1209600 300")
		add := func(s string) {
			rr, err := dns.NewRR(s)
			if err == nil {
				m.Answer = append(m.Answer, rr)
			}
		}
		switch {
		case q.Name == "web.test." && q.Qtype == dns.TypeA:
			add("web.test. 30 IN A 198.18.5.10")
			add("web.test. 30 IN A 198.18.5.11")
		case q.Name == "web.test." && q.Qtype == dns.TypeAAAA:
			m.Ns = append(m.Ns, soa)
		case q.Name == "alias.test.":
			add("alias.test. 30 IN CNAME web.test.")
			add("web.test. 30 IN A 198.18.5.10")
		case q.Qtype == dns.TypeTXT:
			add(q.Name + " 30 IN TXT \"hello world\"")
		case q.Qtype == dns.TypeMX:
			add(q.Name + " 30 IN MX 10 mail.test.")
		case q.Qtype == dns.TypeSRV:
			add(q.Name + " 30 IN SRV 0 5 80 web.test.")
		default:
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, soa)
		}
		if o := r.IsEdns0(); o != nil {
			m.SetEdns0(1232, o.Do())
		}
		w.WriteMsg(m)
	})
	udp := &dns.Server{Addr: addr, Net: "udp", Handler: h}
	tcp := &dns.Server{Addr: addr, Net: "tcp", Handler: h}
	ready := make(chan struct{}, 2)
	udp.NotifyStartedFunc = func() { ready <- struct{}{} }
	tcp.NotifyStartedFunc = func() { ready <- struct{}{} }
	errs := make(chan error, 2)
	go func() { errs <- udp.ListenAndServe() }()
	go func() { errs <- tcp.ListenAndServe() }()
	for i := 0; i < 2; i++ {
		select {
		case <-ready:
		case err := <-errs:
			return err
		}
	}
	fmt.Println("ready")
	time.Sleep(time.Until(deadline))
	udp.Shutdown()
	tcp.Shutdown()
	return nil
}

// helper starts the test binary as a helper inside ns. With wait it waits for
// its "ready" line and returns the running command (the caller waits for it).
func helper(t *testing.T, ns string, wait bool, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, exe, "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join(args, " "))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if !wait {
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helper %v in %s: %v\n%s%s", args, ns, err, out, stderr.String())
		}
		return nil
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper %v in %s did not start: %q %v\n%s", args, ns, line, err, stderr.String())
	}
	return cmd
}

// linkLocal waits for the non-tentative link-local address of dev in ns.
func linkLocal(t *testing.T, ns, dev string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		out := testlab.Run(t, "ip", "-n", ns, "-6", "-o", "addr", "show", "dev", dev, "scope", "link")
		if f := strings.Fields(out); len(f) > 3 && !strings.Contains(out, "tentative") {
			return strings.Split(f[3], "/")[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no link-local address on %s in %s", dev, ns)
	return ""
}

func TestRecordCorpus(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "tcpdump", "ip", "ping", "sysctl")
	nsA, nsB := testlab.NewNetNS(t), testlab.NewNetNS(t)
	va, vb := testlab.VethPair(t, nsA, "198.18.0.1/24", nsB, "198.18.0.2/24")
	// Geneve needs CONFIG_GENEVE; without it the synthesized captures still
	// cover Geneve.
	geneve := exec.Command("ip", "-n", nsA, "link", "add", "gn0", "type", "geneve", "id", "43", "remote", "198.18.0.2").Run() == nil
	if geneve {
		testlab.Run(t, "ip", "-n", nsA, "link", "del", "gn0")
	} else {
		t.Log("kernel without Geneve: recording VXLAN only")
	}
	for _, tun := range []struct {
		name, kind, id, port, net string
	}{{"vx0", "vxlan", "42", "4789", "198.18.10"}, {"vx1", "vxlan", "44", "8472", "198.18.12"}, {"gn0", "geneve", "43", "6081", "198.18.11"}} {
		if tun.kind == "geneve" && !geneve {
			continue
		}
		for i, side := range []struct{ ns, local, remote, dev string }{{nsA, "198.18.0.1", "198.18.0.2", va}, {nsB, "198.18.0.2", "198.18.0.1", vb}} {
			args := []string{"-n", side.ns, "link", "add", tun.name, "type", tun.kind, "id", tun.id, "remote", side.remote, "dstport", tun.port}
			if tun.kind == "vxlan" {
				args = append(args, "local", side.local, "dev", side.dev)
			}
			testlab.Run(t, "ip", args...)
			testlab.Run(t, "ip", "-n", side.ns, "addr", "add", fmt.Sprintf("%s.%d/24", tun.net, i+1), "dev", tun.name)
			testlab.Run(t, "ip", "-n", side.ns, "link", "set", tun.name, "up")
		}
	}
	// A router path: B forwards to C over a link with MTU 1280, so A's big
	// DF packets get "need to frag" and TTL-1 packets "time exceeded".
	nsC := testlab.NewNetNS(t)
	vbc, vc := testlab.VethPair(t, nsB, "198.18.20.1/24", nsC, "198.18.20.2/24")
	testlab.Run(t, "ip", "-n", nsB, "link", "set", vbc, "mtu", "1280")
	testlab.Run(t, "ip", "-n", nsC, "link", "set", vc, "mtu", "1280")
	testlab.InNetNS(t, nsB, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	testlab.Run(t, "ip", "-n", nsC, "route", "add", "198.18.0.0/24", "via", "198.18.20.1")
	llB := linkLocal(t, nsB, vb)
	linkLocal(t, nsA, va)

	dir := t.TempDir()
	files := map[string]string{
		"lab-ether":  filepath.Join(dir, "lab-ether.pcap"),
		"lab-sll2":   filepath.Join(dir, "lab-sll2.pcap"),
		"lab-sll":    filepath.Join(dir, "lab-sll.pcap"),
		"lab-nano":   filepath.Join(dir, "lab-nano.pcap"),
		"lab-snap80": filepath.Join(dir, "lab-snap80.pcap"),
	}
	dumps := []*testlab.Tcpdump{
		testlab.StartTcpdump(t, nsA, files["lab-ether"], "-i", va),
		testlab.StartTcpdump(t, nsA, files["lab-sll2"], "-i", "any"),
		testlab.StartTcpdump(t, nsA, files["lab-sll"], "-i", "any", "-y", "LINUX_SLL"),
		testlab.StartTcpdump(t, nsA, files["lab-nano"], "-i", va, "--time-stamp-precision=nano", "icmp or arp"),
		testlab.StartTcpdump(t, nsA, files["lab-snap80"], "-i", va, "-s", "80"),
	}

	// Flap A's veth: MLDv2 reports (hop-by-hop router alert), router
	// solicitations and DAD neighbour solicitations.
	testlab.Run(t, "ip", "-n", nsA, "link", "set", va, "down")
	testlab.Run(t, "ip", "-n", nsA, "link", "set", va, "up")
	linkLocal(t, nsA, va)

	testlab.InNetNS(t, nsA, "ping", "-c", "2", "-i", "0.2", "-W", "2", "198.18.0.2")
	testlab.InNetNS(t, nsA, "ping", "-c", "1", "-s", "3000", "-W", "2", "198.18.0.2")
	testlab.InNetNS(t, nsA, "ping", "-c", "1", "-R", "-W", "2", "198.18.0.2")
	testlab.InNetNS(t, nsA, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", llB+"%"+va)
	testlab.InNetNS(t, nsA, "ping", "-6", "-c", "1", "-s", "3000", "-W", "2", llB+"%"+va)

	// The flap above removed A's routes through the veth; add this one now.
	testlab.Run(t, "ip", "-n", nsA, "route", "add", "198.18.20.0/24", "via", "198.18.0.2")
	testlab.InNetNS(t, nsA, "ping", "-c", "1", "-W", "2", "198.18.20.2")
	// Need to frag (mtu 1280) from the router, and time exceeded.
	if out, err := exec.Command("ip", "netns", "exec", nsA, "ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1400", "198.18.20.2").CombinedOutput(); err == nil {
		t.Fatalf("a 1428-byte DF ping crossed a 1280-byte link:\n%s", out)
	}
	if out, err := exec.Command("ip", "netns", "exec", nsA, "ping", "-c", "1", "-W", "1", "-t", "1", "198.18.20.2").CombinedOutput(); err == nil {
		t.Fatalf("a TTL-1 ping crossed a router:\n%s", out)
	}
	helper(t, nsB, true, "tcp-server", ":9000")
	helper(t, nsB, true, "tcp-server", ":8080")
	helper(t, nsB, true, "dns-server", "198.18.0.2:53")
	helper(t, nsA, false, "tcp-client", "198.18.0.2:9000", "hello")
	helper(t, nsA, false, "tcp-client", "198.18.0.2:8080", `GET / HTTP/1.1\r\nHost: web\r\n\r\n`)
	helper(t, nsA, false, "tcp-client", "["+llB+"%"+va+"]:9000", "hello6")
	helper(t, nsA, false, "tcp-client", "198.18.0.2:9", "refused")
	helper(t, nsA, false, "udp-send", "198.18.0.2:9999", "ping")
	helper(t, nsA, false, "udp-send", "["+llB+"%"+va+"]:9999", "ping6")
	for _, q := range [][]string{
		{"web.test.", "A", "udp"}, {"web.test.", "AAAA", "udp"}, {"nx.test.", "A", "udp"},
		{"alias.test.", "A", "udp"}, {"web.test.", "TXT", "udp"}, {"test.", "MX", "udp"},
		{"_http._tcp.test.", "SRV", "udp"}, {"web.test.", "A", "tcp"}, {"web.test.", "A", "udp", "edns"},
	} {
		helper(t, nsA, false, append([]string{"dns-query", "198.18.0.2:53"}, q...)...)
	}
	testlab.InNetNS(t, nsA, "ping", "-c", "1", "-W", "2", "198.18.10.2")
	if geneve {
		testlab.InNetNS(t, nsA, "ping", "-c", "1", "-W", "2", "198.18.11.2")
	}
	testlab.InNetNS(t, nsA, "ping", "-c", "1", "-W", "2", "198.18.12.2")
	time.Sleep(300 * time.Millisecond)
	for _, d := range dumps {
		d.Stop(t)
	}

	record := os.Getenv("NETDIAG_RECORD_CORPUS") == "1"
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			if lines := tcpdumpLines(t, file, []string{"-nn"}); len(lines) < 10 {
				t.Fatalf("%s holds only %d packets:\n%s", name, len(lines), strings.Join(lines, "\n"))
			}
			compareFile(t, file)
			if record {
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("testdata", name+".pcap"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
