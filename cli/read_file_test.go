package cli

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netdiag/netdiag/capture"
	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
)

// udpFrame is an Ethernet frame with a UDP datagram to port 9 carrying n at
// byte 42.
func udpFrame(n byte) []byte {
	b := make([]byte, 60)
	copy(b, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0})
	ip := b[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 46)
	copy(ip[12:], []byte{198, 18, 0, 1, 198, 18, 0, 2})
	binary.BigEndian.PutUint16(ip[20:], 40000)
	binary.BigEndian.PutUint16(ip[22:], 9)
	binary.BigEndian.PutUint16(ip[24:], 26)
	b[42] = n
	return b
}

// sllFrame is the same datagram under a LINUX_SLL header.
func sllFrame(n byte) []byte {
	h := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 8, 0}
	return append(h, udpFrame(n)[14:]...)
}

func readFile(t *testing.T, path string) (pcapio.Reader, []pcapio.Packet, []pcapio.Interface, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var pkts []pcapio.Packet
	for {
		p, err := r.Next()
		if err != nil {
			if err.Error() == "EOF" {
				err = nil
			}
			return r, pkts, pcapio.Interfaces(r), err
		}
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
}

// bothSidesFile writes what `capture --both-sides -w` writes: pcapng with
// the pod's eth0 and its host veth, packets on both, statistics blocks.
func bothSidesFile(t *testing.T, path string) {
	t.Helper()
	ifaces := []pcapio.Interface{
		{Name: "eth0", Description: "default/web eth0 pid 7", LinkType: pcapio.LinkTypeEthernet, SnapLen: 262144},
		{Name: "veth1234", Description: "default/web host veth veth1234 (peer of eth0)", LinkType: pcapio.LinkTypeEthernet, SnapLen: 262144},
	}
	o, err := capture.NewOutput(capture.FileConfig{Path: path, PcapNG: true, Interfaces: ifaces})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		pi := capture.PacketInfo{Timestamp: time.Unix(1700000000, int64(i)*1e6), Length: 60, Source: i % 2}
		if err := o.Write(&pi, udpFrame(byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Close([]capture.Stats{{Received: 5}, {Received: 5}}, time.Unix(1700000000, 0), time.Unix(1700000001, 0)); err != nil {
		t.Fatal(err)
	}
}

// TestReadRewritesInterfaces: `capture -r F --pcapng -w OUT` keeps every
// interface of F, also ones described after packets and ones of a second
// section (issue 18: netdiag's own --both-sides file failed with
// "interface index 1 out of range" and an empty output).
func TestReadRewritesInterfaces(t *testing.T) {
	dir := t.TempDir()
	both := filepath.Join(dir, "both.pcapng")
	bothSidesFile(t, both)

	// A file whose second interface (SLL) comes after packets of the first,
	// then a second section that starts its interface IDs again at 0.
	late := filepath.Join(dir, "late.pcapng")
	var buf bytes.Buffer
	w, err := pcapio.NewPcapngWriter(&buf, []pcapio.Interface{{Name: "a", LinkType: pcapio.LinkTypeEthernet}})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1700000000, 0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WritePacket(pcapio.Packet{Timestamp: ts, Data: udpFrame(1)}))
	if _, err := w.AddInterface(pcapio.Interface{Name: "b", LinkType: pcapio.LinkTypeLinuxSLL}); err != nil {
		t.Fatal(err)
	}
	must(w.WritePacket(pcapio.Packet{Timestamp: ts, Data: sllFrame(2), InterfaceIndex: 1}))
	must(w.Flush())
	w2, err := pcapio.NewPcapngWriter(&buf, []pcapio.Interface{{Name: "c", LinkType: pcapio.LinkTypeLinuxSLL}})
	if err != nil {
		t.Fatal(err)
	}
	must(w2.WritePacket(pcapio.Packet{Timestamp: ts, Data: sllFrame(3)}))
	must(w2.Flush())
	must(os.WriteFile(late, buf.Bytes(), 0o600))

	for _, tc := range []struct {
		in        string
		names     []string
		ifaceOf   []int // output interface of each packet
		wantLines int
	}{
		{both, []string{"eth0", "veth1234"}, []int{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, 10},
		{late, []string{"a", "b", "c"}, []int{0, 1, 2}, 3},
	} {
		out := filepath.Join(dir, "out.pcapng")
		code, _, stderr := run(t, "", "capture", "-r", tc.in, "--pcapng", "-w", out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.in, code, stderr)
		}
		_, pkts, ifs, err := readFile(t, out)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ifc := range ifs {
			names = append(names, ifc.Name)
		}
		if strings.Join(names, ",") != strings.Join(tc.names, ",") {
			t.Errorf("%s: interfaces %v, want %v", filepath.Base(tc.in), names, tc.names)
		}
		if len(pkts) != len(tc.ifaceOf) {
			t.Fatalf("%s: %d packets, want %d", filepath.Base(tc.in), len(pkts), len(tc.ifaceOf))
		}
		for i, p := range pkts {
			if p.InterfaceIndex != tc.ifaceOf[i] || ifs[p.InterfaceIndex].LinkType != map[bool]pcapio.LinkType{true: pcapio.LinkTypeEthernet, false: pcapio.LinkTypeLinuxSLL}[p.Data[12] == 8 && p.Data[13] == 0] {
				t.Errorf("%s: packet %d on interface %d (%v)", filepath.Base(tc.in), i, p.InterfaceIndex, ifs[p.InterfaceIndex])
			}
		}
		// The text of the copy is the text of the original.
		_, a, _ := run(t, "", "capture", "-r", tc.in, "-nn", "-tt")
		_, b, _ := run(t, "", "capture", "-r", out, "-nn", "-tt")
		if a != b || strings.Count(a, "\n") != tc.wantLines {
			t.Errorf("%s: printed copy differs:\n%s---\n%s", filepath.Base(tc.in), a, b)
		}
	}
}

// TestReadMixedLinkTypesToPcap: a pcap file holds one link type. Like
// tcpdump, -w FILE.pcap of a pcapng with Ethernet and SLL interfaces writes
// the packets before the second link type appears and fails (issue 18: the
// SLL packets were written under an Ethernet header, exit 0).
func TestReadMixedLinkTypesToPcap(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "mixed.pcapng")
	var buf bytes.Buffer
	w, err := pcapio.NewPcapngWriter(&buf, []pcapio.Interface{{Name: "eth0", LinkType: pcapio.LinkTypeEthernet}})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1700000000, 0)
	for i := 0; i < 3; i++ {
		if err := w.WritePacket(pcapio.Packet{Timestamp: ts, Data: udpFrame(byte(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.AddInterface(pcapio.Interface{Name: "any", LinkType: pcapio.LinkTypeLinuxSLL}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := w.WritePacket(pcapio.Packet{Timestamp: ts, Data: sllFrame(byte(i)), InterfaceIndex: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.pcap")
	code, _, stderr := run(t, "", "capture", "-r", in, "-w", out)
	if code != ExitError || !strings.Contains(stderr, "interface 1 has link type LINUX_SLL (113), different from EN10MB (1) of the first interface") {
		t.Errorf("exit %d, stderr %q: want exit 1 and libpcap's reason", code, stderr)
	}
	r, pkts, _, err := readFile(t, out)
	if err != nil || len(pkts) != 3 || r.LinkType() != pcapio.LinkTypeEthernet {
		t.Errorf("out.pcap: %d packets (%v), link type %v: want the 3 Ethernet packets before the SLL interface", len(pkts), err, r.LinkType())
	}
	// tcpdump does the same with the same file.
	testlab.RequireTool(t, "tcpdump")
	tout := filepath.Join(dir, "tcpdump.pcap")
	if exec.Command("tcpdump", "-r", in, "-w", tout).Run() == nil {
		t.Error("tcpdump accepted the mixed file: the test's premise is wrong")
	}
	if _, tp, _, _ := readFile(t, tout); len(tp) != len(pkts) {
		t.Errorf("tcpdump wrote %d packets, netdiag %d", len(tp), len(pkts))
	}
	// pcapng keeps both.
	code, _, stderr = run(t, "", "capture", "-r", in, "--pcapng", "-w", filepath.Join(dir, "out.pcapng"))
	if code != 0 {
		t.Errorf("--pcapng: exit %d: %s", code, stderr)
	}
}

// TestReadBpfFileValidated: -r runs a --bpf-file program in user space and
// checks it first, as the kernel checks it on a live capture (issue 18: an
// out-of-range jump or no final return gave 0 packets and exit 0, and
// ld [0xffffffff] took every packet).
func TestReadBpfFileValidated(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(testlab.ModuleRoot(t), "capture/decode/testdata/lab-ether.pcap")
	for _, tc := range []struct{ name, prog, want string }{
		{"jump out of range", "2\n21 5 0 2048\n6 0 0 262144\n", "jump out of range"},
		{"no final return", "1\n40 0 0 12\n", "last instruction is not a return"},
		{"unknown ancillary load", "2\n32 0 0 4294967295\n6 0 0 262144\n", "unknown ancillary load"},
	} {
		file := filepath.Join(dir, "p.ddd")
		if err := os.WriteFile(file, []byte(tc.prog), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(t, "", "capture", "-r", in, "-nn", "--bpf-file", file)
		if code != ExitError || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%s: exit %d, stderr %q, %d bytes printed: want exit 1 naming %q", tc.name, code, stderr, len(stdout), tc.want)
		}
	}
	// A valid program still works: ARP only (tcpdump -ddd arp).
	file := filepath.Join(dir, "arp.ddd")
	if err := os.WriteFile(file, []byte("4\n40 0 0 12\n21 0 1 2054\n6 0 0 262144\n6 0 0 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "", "capture", "-r", in, "-nn", "--bpf-file", file)
	if code != 0 || stdout == "" || strings.Count(stdout, "ARP") != strings.Count(stdout, "\n") {
		t.Errorf("arp program: exit %d, stderr %q, output %q", code, stderr, stdout)
	}
}

// TestReadTruncatedFails: like tcpdump, -r of a file cut inside a record
// prints the packets before the cut, then the error, and exits 1 (issue 18:
// netdiag exited 0).
func TestReadTruncatedFails(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testlab.ModuleRoot(t), "capture/decode/testdata/lab-ether.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(path, src[:3000], 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "", "capture", "-r", path, "-nn", "-tt")
	if code != ExitError || !strings.Contains(stderr, "truncated dump file; tried to read") {
		t.Errorf("exit %d, stderr %q: want exit 1 and libpcap's message", code, stderr)
	}
	testlab.RequireTool(t, "tcpdump")
	want, err := exec.Command("tcpdump", "-nn", "-tt", "-r", path).Output()
	if err == nil {
		t.Error("tcpdump exited 0 on the cut file: the test's premise is wrong")
	}
	if stdout != string(want) || stdout == "" {
		t.Errorf("printed\n%s\nwant tcpdump's\n%s", stdout, want)
	}
}
