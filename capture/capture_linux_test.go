package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/capture/filter"
	"github.com/netdiag/netdiag/capture/internal/gen"
	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/net/bpf"
)

// udpPort9 is `tcpdump -dd 'udp dst port 9'` reduced to IPv4 without the
// fragment check: the generator's frames and nothing the kernel sends on its
// own (IPv6 router solicitations, MLD) pass.
func udpPort9(t *testing.T, ethOff uint32) []bpf.RawInstruction {
	t.Helper()
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: ethOff + 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 5},
		bpf.LoadAbsolute{Off: ethOff + 23, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 17, SkipFalse: 3},
		bpf.LoadAbsolute{Off: ethOff + 36, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 9, SkipFalse: 1},
		bpf.RetConstant{Val: 262144},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// lab is two test namespaces joined by a veth: a (198.18.0.1) and b
// (198.18.0.2).
type lab struct {
	nsA, nsB       string
	vethA, vethB   string
	netnsA, netnsB *nsutil.NetNS
}

func newLab(t *testing.T) *lab { return newLabB(t) }

func newLabB(t testing.TB) *lab {
	t.Helper()
	testlab.RequireRoot(t)
	l := &lab{nsA: testlab.NewNetNS(t), nsB: testlab.NewNetNS(t)}
	l.vethA, l.vethB = testlab.VethPair(t, l.nsA, "198.18.0.1/24", l.nsB, "198.18.0.2/24")
	var err error
	if l.netnsA, err = nsutil.Open(testlab.NetNSPath(l.nsA)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.netnsA.Close() })
	if l.netnsB, err = nsutil.Open(testlab.NetNSPath(l.nsB)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.netnsB.Close() })
	return l
}

func (l *lab) send(t *testing.T, n int, cfg gen.Config) {
	t.Helper()
	cfg.Interface = l.vethA
	cfg.Count = n
	if cfg.MaxDuration == 0 {
		cfg.MaxDuration = 20 * time.Second
	}
	res, err := gen.Send(l.netnsA, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != n {
		t.Fatalf("sent %d packets, want %d", res.Sent, n)
	}
}

// collect runs a capture in the background and returns a function that
// stops it after the block timeout and returns the result.
func collect(t *testing.T, hs []*Handle, cfg RunConfig, fn Handler) func() Result {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan Result, 1)
	go func() {
		res, err := Run(ctx, hs, cfg, fn)
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- res
	}()
	return func() Result {
		cancel(ErrStopRequested)
		select {
		case r := <-done:
			return r
		case <-time.After(30 * time.Second):
			t.Fatal("capture did not stop")
			return Result{}
		}
	}
}

func readAll(t *testing.T, path string) (pcapio.Reader, []pcapio.Packet) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var pkts []pcapio.Packet
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
	return r, pkts
}

func TestCaptureExactCount(t *testing.T) {
	l := newLab(t)
	const n = 2000
	h, err := Open(l.netnsB, Options{Interface: l.vethB, Filter: udpPort9(t, 0), Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.LinkType() != pcapio.LinkTypeEthernet {
		t.Fatalf("link type %v, want EN10MB", h.LinkType())
	}
	path := filepath.Join(t.TempDir(), "c.pcap")
	out, err := NewOutput(FileConfig{Path: path, Interfaces: []pcapio.Interface{{LinkType: h.LinkType(), SnapLen: uint32(h.SnapLen())}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stop := collect(t, []*Handle{h}, RunConfig{}, out.Write)
	l.send(t, n, gen.Config{})
	res := stop()
	end := time.Now()
	if err := out.Close(nil, start, end); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.Reason, ErrStopRequested) {
		t.Errorf("reason %v, want stop requested", res.Reason)
	}
	want := Stats{Received: n}
	if diff := cmp.Diff(want, res.Total()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if res.Captured != n {
		t.Errorf("captured %d, want %d", res.Captured, n)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	r, pkts := readAll(t, path)
	if r.LinkType() != pcapio.LinkTypeEthernet || r.Nanosecond() {
		t.Errorf("file link type %v nano %v, want EN10MB micro", r.LinkType(), r.Nanosecond())
	}
	if len(pkts) != n {
		t.Fatalf("file has %d packets, want %d", len(pkts), n)
	}
	for i, p := range pkts {
		if seq := binary.BigEndian.Uint32(p.Data[42:]); seq != uint32(i) || len(p.Data) != 64 || p.OrigLen != 64 {
			t.Fatalf("packet %d: seq %d len %d/%d, want seq %d len 64", i, seq, len(p.Data), p.OrigLen, i)
		}
		if p.Timestamp.Before(start.Truncate(time.Microsecond)) || p.Timestamp.After(end) {
			t.Fatalf("packet %d: timestamp %v outside [%v, %v]", i, p.Timestamp, start, end)
		}
	}
	testlab.RequireTool(t, "tcpdump", "tshark")
	tcpdump, err := exec.Command("tcpdump", "-nn", "-r", path).Output()
	if err != nil {
		t.Fatalf("tcpdump -r: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(tcpdump)), "\n")
	if len(lines) != n || !strings.Contains(lines[0], "198.18.0.1.40000 > 198.18.0.2.9: UDP, length 22") {
		t.Errorf("tcpdump -r: %d lines, first %q", len(lines), lines[0])
	}
	tshark, err := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "frame.len", "-e", "frame.encap_type").Output()
	if err != nil {
		t.Fatalf("tshark -r: %v", err)
	}
	lines = strings.Split(strings.TrimSpace(string(tshark)), "\n")
	if len(lines) != n || lines[0] != "64\t1" {
		t.Errorf("tshark -r: %d lines, first %q", len(lines), lines[0])
	}
}

func TestCaptureVLANReinserted(t *testing.T) {
	l := newLab(t)
	// The sender tags its frames in software; b's kernel moves the tag into
	// the ring's metadata on receive (skb_vlan_untag), as it does for tags a
	// NIC strips. (A vlan subinterface would need CONFIG_VLAN_8021Q, which
	// the CI kernel lacks.)
	// Filter on the tag as libpcap compiles `vlan 100` for live capture:
	// ancillary loads of SKF_AD_VLAN_TAG_PRESENT and SKF_AD_VLAN_TAG.
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtVLANTagPresent},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipFalse: 3},
		bpf.LoadExtension{Num: bpf.ExtVLANTag},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 100, SkipFalse: 1},
		bpf.RetConstant{Val: 262144},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		iface string
		any   bool
	}{{"parent", l.vethB, false}, {"any", AnyInterface, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Open(l.netnsB, Options{Interface: tc.iface, Filter: prog, Timeout: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			var got [][]byte
			stop := collect(t, []*Handle{h}, RunConfig{}, func(pi *PacketInfo, d []byte) error {
				if pi.Length != len(d) {
					t.Errorf("length %d, captured %d", pi.Length, len(d))
				}
				got = append(got, append([]byte(nil), d...))
				return nil
			})
			l.send(t, 5, gen.Config{VLAN: 100})
			res := stop()
			if len(got) != 5 || res.Captured != 5 {
				t.Fatalf("captured %d packets, want 5", len(got))
			}
			for _, d := range got {
				var tag []byte
				if tc.any {
					// SLL2: protocol is the TPID, then TCI and the inner type.
					tag = append(append([]byte{}, d[0:2]...), d[20:24]...)
				} else {
					tag = d[12:18]
				}
				if diff := cmp.Diff([]byte{0x81, 0x00, 0x00, 100, 0x08, 0x00}, tag); diff != "" {
					t.Errorf("tag (-want +got):\n%s", diff)
				}
				if !tc.any && len(d) != 64 {
					t.Errorf("frame length %d, want 64", len(d))
				}
			}
		})
	}
}

func TestCaptureAnyCooked(t *testing.T) {
	l := newLab(t)
	idx := interfaceIndex(t, l.nsB, l.vethB)
	for _, sll1 := range []bool{false, true} {
		t.Run("sll1="+strconv.FormatBool(sll1), func(t *testing.T) {
			hdr := uint32(sll2HdrLen)
			if sll1 {
				hdr = sllHdrLen
			}
			// Cooked sockets see the IP header at offset 0: use a filter for that.
			prog, _ := bpf.Assemble([]bpf.Instruction{
				bpf.LoadAbsolute{Off: 9, Size: 1},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: 17, SkipFalse: 3},
				bpf.LoadAbsolute{Off: 22, Size: 2},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: 9, SkipFalse: 1},
				bpf.RetConstant{Val: 262144},
				bpf.RetConstant{Val: 0},
			})
			h, err := Open(l.netnsB, Options{Interface: AnyInterface, CookedSLL1: sll1, Filter: prog, Timeout: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			want := pcapio.LinkTypeLinuxSLL2
			if sll1 {
				want = pcapio.LinkTypeLinuxSLL
			}
			if h.LinkType() != want {
				t.Fatalf("link type %v, want %v", h.LinkType(), want)
			}
			var got [][]byte
			stop := collect(t, []*Handle{h}, RunConfig{}, func(pi *PacketInfo, d []byte) error {
				got = append(got, append([]byte(nil), d...))
				if pi.IfIndex != idx {
					t.Errorf("ifindex %d, want %d", pi.IfIndex, idx)
				}
				return nil
			})
			src := []byte{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}
			l.send(t, 3, gen.Config{SrcMAC: src})
			stop()
			if len(got) != 3 {
				t.Fatalf("captured %d packets, want 3", len(got))
			}
			d := got[0]
			if len(d) != int(hdr)+50 {
				t.Errorf("length %d, want %d", len(d), hdr+50)
			}
			var wantHdr []byte
			if sll1 {
				// pkttype 1 (broadcast), ARPHRD_ETHER, halen 6, address, protocol
				wantHdr = append([]byte{0, 1, 0, 1, 0, 6}, src...)
				wantHdr = append(wantHdr, 0, 0, 0x08, 0x00)
			} else {
				wantHdr = []byte{0x08, 0x00, 0, 0, byte(idx >> 24), byte(idx >> 16), byte(idx >> 8), byte(idx), 0, 1, 1, 6}
				wantHdr = append(append(wantHdr, src...), 0, 0)
			}
			if diff := cmp.Diff(wantHdr, d[:hdr]); diff != "" {
				t.Errorf("cooked header (-want +got):\n%s", diff)
			}
			if d[hdr] != 0x45 {
				t.Errorf("payload starts with %#x, want an IPv4 header", d[hdr])
			}
		})
	}
}

func interfaceIndex(t *testing.T, ns, iface string) int {
	t.Helper()
	out := testlab.Run(t, "ip", "-n", ns, "-o", "link", "show", "dev", iface)
	i := strings.Index(out, ":")
	n, err := strconv.Atoi(out[:i])
	if err != nil {
		t.Fatalf("parse %q: %v", out, err)
	}
	return n
}

func TestCaptureDropsCounted(t *testing.T) {
	l := newLab(t)
	// One block (-B 1) and a handler slower than the sender: the kernel must
	// drop, and the counters must add up.
	h, err := Open(l.netnsB, Options{Interface: l.vethB, BufferKiB: 1, SnapLen: 128, Filter: udpPort9(t, 0), Timeout: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if bs, nb := h.RingSize(); nb != 1 || bs != 4096 {
		t.Fatalf("ring %d blocks of %d bytes, want 1 of 4096", nb, bs)
	}
	stop := collect(t, []*Handle{h}, RunConfig{}, func(*PacketInfo, []byte) error {
		time.Sleep(200 * time.Microsecond)
		return nil
	})
	const n = 3000
	l.send(t, n, gen.Config{})
	res := stop()
	st := res.Total()
	if st.Dropped == 0 {
		t.Errorf("no drops reported: %+v captured %d", st, res.Captured)
	}
	// A loaded machine may drop frames in the veth's backlog before the
	// socket sees them (netdev_max_backlog): received can be below n.
	if st.Received == 0 || st.Received > n || res.Captured+st.Dropped != st.Received {
		t.Errorf("received %d (of %d sent) = captured %d + dropped %d does not hold", st.Received, n, res.Captured, st.Dropped)
	}
}

func TestCaptureBothSidesMerged(t *testing.T) {
	l := newLab(t)
	ha, err := Open(l.netnsA, Options{Interface: l.vethA, Filter: udpPort9(t, 0), Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer ha.Close()
	hb, err := Open(l.netnsB, Options{Interface: l.vethB, Filter: udpPort9(t, 0), Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Close()
	path := filepath.Join(t.TempDir(), "both.pcapng")
	ifaces := []pcapio.Interface{
		{Name: l.vethA, Description: "a side", LinkType: ha.LinkType(), SnapLen: uint32(ha.SnapLen())},
		{Name: l.vethB, Description: "b side", LinkType: hb.LinkType(), SnapLen: uint32(hb.SnapLen())},
	}
	out, err := NewOutput(FileConfig{Path: path, PcapNG: true, Nano: true, Interfaces: ifaces})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stop := collect(t, []*Handle{ha, hb}, RunConfig{}, out.Write)
	l.send(t, 10, gen.Config{})
	res := stop()
	if err := out.Close(res.Stats, start, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, pkts := readAll(t, path)
	if len(pcapio.Interfaces(r)) != 2 || pcapio.Interfaces(r)[1].Description != "b side" {
		t.Errorf("interfaces %+v", pcapio.Interfaces(r))
	}
	var seen [2]int
	for i, p := range pkts {
		seen[p.InterfaceIndex]++
		if i > 0 && p.Timestamp.Before(pkts[i-1].Timestamp) {
			t.Errorf("packet %d is older than packet %d", i, i-1)
		}
		wantFlags := pcapio.FlagOutbound
		if p.InterfaceIndex == 1 {
			wantFlags = pcapio.FlagInbound
		}
		if p.Flags != wantFlags {
			t.Errorf("packet %d on interface %d: flags %d, want %d", i, p.InterfaceIndex, p.Flags, wantFlags)
		}
	}
	if seen != [2]int{10, 10} {
		t.Errorf("packets per interface %v, want [10 10]", seen)
	}
}

func TestCaptureInterfaceVanishes(t *testing.T) {
	l := newLab(t)
	h, err := Open(l.netnsB, Options{Interface: l.vethB, Filter: udpPort9(t, 0), Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	done := make(chan Result, 1)
	go func() {
		res, _ := Run(context.Background(), []*Handle{h}, RunConfig{}, func(*PacketInfo, []byte) error { return nil })
		done <- res
	}()
	l.send(t, 3, gen.Config{})
	time.Sleep(100 * time.Millisecond)
	testlab.Run(t, "ip", "-n", l.nsB, "link", "del", l.vethB)
	select {
	case res := <-done:
		if !errors.Is(res.Reason, ErrInterfaceGone) {
			t.Errorf("reason %v, want %v", res.Reason, ErrInterfaceGone)
		}
		if res.Captured != 3 {
			t.Errorf("captured %d, want 3", res.Captured)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("capture did not notice the interface going away")
	}
}

func TestCaptureCountAndDuration(t *testing.T) {
	l := newLab(t)
	h, err := Open(l.netnsB, Options{Interface: l.vethB, Filter: udpPort9(t, 0), Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l.send(t, 10, gen.Config{})
	res, err := Run(context.Background(), []*Handle{h}, RunConfig{Count: 4}, func(*PacketInfo, []byte) error { return nil })
	if err != nil || !errors.Is(res.Reason, ErrCountReached) || res.Captured != 4 {
		t.Errorf("-c 4: captured %d, reason %v, err %v", res.Captured, res.Reason, err)
	}
	res, err = Run(context.Background(), []*Handle{h}, RunConfig{Duration: 200 * time.Millisecond}, func(*PacketInfo, []byte) error { return nil })
	if err != nil || !errors.Is(res.Reason, ErrDurationElapsed) {
		t.Errorf("duration: reason %v, err %v", res.Reason, err)
	}
}

// TestCaptureVLANExpressionInUserSpace: `vlan 100` as the compiler emits it
// reads the tag from the packet, which the kernel has moved into metadata;
// run as the user-space filter after re-insertion it selects exactly the
// tagged frames.
func TestCaptureVLANExpressionInUserSpace(t *testing.T) {
	l := newLab(t)
	if !filter.UsesVLAN("vlan 100") {
		t.Fatal("UsesVLAN misses vlan 100")
	}
	prog, err := filter.Compile("vlan 100", filter.EN10MB, DefaultSnapLen)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Open(l.netnsB, Options{Interface: l.vethB, UserFilter: prog, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	tagged := 0
	stop := collect(t, []*Handle{h}, RunConfig{}, func(pi *PacketInfo, d []byte) error {
		if len(d) >= 16 && d[12] == 0x81 && d[13] == 0x00 && d[15] == 100 {
			tagged++
		}
		return nil
	})
	l.send(t, 4, gen.Config{VLAN: 100})
	l.send(t, 4, gen.Config{})
	l.send(t, 4, gen.Config{VLAN: 200})
	if res := stop(); res.Captured != 4 || tagged != 4 {
		t.Fatalf("captured %d packets, %d tagged 100; want 4 and 4", res.Captured, tagged)
	}
}
