package conntrack

import (
	"bufio"
	"context"
	"net/netip"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/internal/testlab"
)

// ctNoTimeout drops the timeout field (the third), which ticks between two reads.
func ctNoTimeout(line string) string {
	f := strings.Fields(line)
	if len(f) > 3 {
		f = append(f[:2], f[3:]...)
	}
	return strings.Join(f, " ")
}

func conntrackToolLines(t *testing.T, ns string, args ...string) []string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "conntrack"}, args...)...).Output()
	if err != nil {
		t.Fatalf("conntrack %s: %v", strings.Join(args, " "), err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, ctNoTimeout(l))
		}
	}
	sort.Strings(lines)
	return lines
}

func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }

func TestConntrackDumpMatchesConntrackL(t *testing.T) {
	l := newConntrackLab(t)
	pfx := func(s string) netip.Prefix { p, _ := ParseAddr(s); return p }
	tests := []struct {
		name   string
		args   []string
		filter Filter
		min    int
	}{
		{"all", nil, Filter{}, 5},
		{"orig src", []string{"-s", "198.18.1.1"}, Filter{OrigSrc: pfx("198.18.1.1")}, 5},
		{"orig dst VIP", []string{"-d", "198.18.99.1"}, Filter{OrigDst: pfx("198.18.99.1")}, 1},
		{"reply src backend", []string{"-r", "198.18.1.2"}, Filter{ReplySrc: pfx("198.18.1.2")}, 5},
		{"reply dst", []string{"-q", "198.18.1.1"}, Filter{ReplyDst: pfx("198.18.1.1")}, 5},
		{"udp", []string{"-p", "udp"}, Filter{Proto: 17}, 2},
		{"udp dport", []string{"-p", "udp", "--dport", "5353"}, Filter{Proto: 17, OrigDport: u16(5353)}, 1},
		{"tcp sport", []string{"-p", "tcp", "--reply-port-src", "8080"}, Filter{Proto: 6, ReplySport: u16(8080)}, 2},
		{"state", []string{"-p", "tcp", "--state", "ESTABLISHED"}, Filter{Proto: 6, State: "ESTABLISHED"}, 2},
		{"mark", []string{"--mark", "16384"}, Filter{Mark: u32(16384)}, 1},
		{"dnat by reply", []string{"-d", "198.18.99.1", "-r", "198.18.1.2"}, Filter{OrigDst: pfx("198.18.99.1"), ReplySrc: pfx("198.18.1.2")}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := conntrackToolLines(t, l.Client, append([]string{"-L"}, tc.args...)...)
			var got []string
			err := Dump(l.ClientNS, tc.filter, func(e Entry) error {
				got = append(got, ctNoTimeout(e.String()))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			if len(want) < tc.min {
				t.Fatalf("conntrack -L %v shows %d entries, the lab should make at least %d:\n%s", tc.args, len(want), tc.min, strings.Join(want, "\n"))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("differs from conntrack -L %v (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestConntrackDNATEntry(t *testing.T) {
	l := newConntrackLab(t)
	var dnat []Entry
	err := Dump(l.ClientNS, Filter{OrigDst: netip.PrefixFrom(l.vip.Addr(), 32)}, func(e Entry) error {
		dnat = append(dnat, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dnat) != 1 {
		t.Fatalf("got %d entries to the VIP, want 1", len(dnat))
	}
	e := dnat[0]
	if e.Reply.Src != l.backend.Addr() || e.Reply.SrcPort != l.backend.Port() || e.Status&DstNAT == 0 {
		t.Errorf("DNAT entry %s: want reply source %s and the DST_NAT bit", e.String(), l.backend)
	}
}

func TestConntrackStatsMatchConntrackS(t *testing.T) {
	l := newConntrackLab(t)
	st, err := ReadStats(l.ClientNS)
	if err != nil {
		t.Fatal(err)
	}
	out := testlab.InNetNS(t, l.Client, "conntrack", "-S")
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		want = append(want, strings.Join(strings.Fields(line), " "))
	}
	var got []string
	for _, c := range st.CPUs {
		f := []string{"cpu=" + itoa(c.CPU)}
		for _, v := range c.Values {
			f = append(f, v.Name+"="+itoa(int(v.Value)))
		}
		got = append(got, strings.Join(f, " "))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("differs from conntrack -S (-want +got):\n%s", diff)
	}
	count := strings.TrimSpace(testlab.InNetNS(t, l.Client, "conntrack", "-C"))
	if itoa(int(st.Count)) != count {
		t.Errorf("count = %d, conntrack -C says %s", st.Count, count)
	}
	if !st.HasMax || st.Max == 0 {
		t.Errorf("max not read: %+v", st)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestConntrackEventsMatchConntrackE(t *testing.T) {
	l := newConntrackLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tool := exec.Command("ip", "netns", "exec", l.Client, "conntrack", "-E", "-e", "NEW", "-p", "udp", "--dport", "6000")
	stdout, err := tool.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tool.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tool.Process.Kill(); _ = tool.Wait() }()
	toolLine := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		toolLine <- strings.TrimRight(line, "\n")
	}()
	var mu sync.Mutex
	ours := map[string]Event{}
	errc := make(chan error, 1)
	port := uint16(6000)
	go func() {
		errc <- Events(ctx, l.ClientNS, Filter{Proto: 17, OrigDport: &port}, func(ev Event) error {
			mu.Lock()
			ours[string(ev.AppendText(nil))] = ev
			mu.Unlock()
			return nil
		}, nil)
	}()
	// conntrack -E subscribes at some point after it starts: send new flows
	// (bounded) until it has printed one.
	var want string
	for i := 0; i < 100 && want == ""; i++ {
		l.UDP(t, l.ClientNS, netip.AddrPortFrom(netip.MustParseAddr("198.18.1.1"), uint16(41000+i)), netip.MustParseAddrPort("198.18.1.2:6000"))
		select {
		case want = <-toolLine:
		case <-time.After(100 * time.Millisecond):
		}
	}
	if want == "" {
		t.Fatal("conntrack -E printed nothing")
	}
	// Give our stream the same chance to see that event, then stop it.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		_, ok := ours[want]
		mu.Unlock()
		if ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	ev, ok := ours[want]
	if !ok {
		var got []string
		for k := range ours {
			got = append(got, k)
		}
		t.Fatalf("conntrack -E printed %q; netdiag's events were:\n%s", want, strings.Join(got, "\n"))
	}
	if ev.Type != "NEW" || !strings.HasPrefix(want, "    [NEW] udp      17 ") {
		t.Errorf("event %q of type %s, want a NEW udp event", want, ev.Type)
	}
}

func TestConntrackDelete(t *testing.T) {
	l := newConntrackLab(t)
	filter := Filter{Proto: 17, OrigDport: u16(5353)}
	var victims []Entry
	if err := Dump(l.ClientNS, filter, func(e Entry) error {
		victims = append(victims, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(victims) != 1 {
		t.Fatalf("want 1 entry to delete, got %d", len(victims))
	}
	before := conntrackToolLines(t, l.Client, "-L")
	res, err := Delete(l.ClientNS, victims)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Gone {
		t.Fatalf("delete result %+v, want one deleted entry", res)
	}
	after := conntrackToolLines(t, l.Client, "-L")
	var want []string
	for _, b := range before {
		if b != ctNoTimeout(victims[0].String()) {
			want = append(want, b)
		}
	}
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("table after delete (-want +got):\n%s", diff)
	}
	// Deleting again finds it gone, which is not an error.
	res, err = Delete(l.ClientNS, victims)
	if err != nil || len(res) != 1 || !res[0].Gone {
		t.Errorf("second delete = %+v, %v; want gone", res, err)
	}
}
