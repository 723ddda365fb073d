package show

import (
	"bufio"
	"context"
	"net/netip"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/conntrack"
	"github.com/netdiag/netdiag/internal/testlab/socklab"
)

func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }

func TestAppendConntrackMatchesConntrackL(t *testing.T) {
	l := socklab.NewNAT(t)
	pfx := func(s string) netip.Prefix { p, _ := conntrack.ParseAddr(s); return p }
	tests := []struct {
		name   string
		args   []string
		filter conntrack.Filter
		min    int
	}{
		{"all", nil, conntrack.Filter{}, 5},
		{"orig src", []string{"-s", "198.18.1.1"}, conntrack.Filter{OrigSrc: pfx("198.18.1.1")}, 5},
		{"orig dst VIP", []string{"-d", "198.18.99.1"}, conntrack.Filter{OrigDst: pfx("198.18.99.1")}, 1},
		{"reply src backend", []string{"-r", "198.18.1.2"}, conntrack.Filter{ReplySrc: pfx("198.18.1.2")}, 5},
		{"reply dst", []string{"-q", "198.18.1.1"}, conntrack.Filter{ReplyDst: pfx("198.18.1.1")}, 5},
		{"udp", []string{"-p", "udp"}, conntrack.Filter{Proto: 17}, 2},
		{"udp dport", []string{"-p", "udp", "--dport", "5353"}, conntrack.Filter{Proto: 17, OrigDport: u16(5353)}, 1},
		{"tcp sport", []string{"-p", "tcp", "--reply-port-src", "8080"}, conntrack.Filter{Proto: 6, ReplySport: u16(8080)}, 2},
		{"state", []string{"-p", "tcp", "--state", "ESTABLISHED"}, conntrack.Filter{Proto: 6, State: "ESTABLISHED"}, 2},
		{"mark", []string{"--mark", "16384"}, conntrack.Filter{Mark: u32(16384)}, 1},
		{"dnat by reply", []string{"-d", "198.18.99.1", "-r", "198.18.1.2"}, conntrack.Filter{OrigDst: pfx("198.18.99.1"), ReplySrc: pfx("198.18.1.2")}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := l.ConntrackLines(t, append([]string{"-L"}, tc.args...)...)
			var got []string
			err := conntrack.Dump(l.ClientNS, tc.filter, func(e conntrack.Entry) error {
				got = append(got, socklab.NoTimeout(string(AppendConntrack(nil, &e))))
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

func TestAppendConntrackEventMatchesConntrackE(t *testing.T) {
	l := socklab.NewNAT(t)
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
	ours := map[string]conntrack.Event{}
	errc := make(chan error, 1)
	port := uint16(6000)
	go func() {
		errc <- conntrack.Events(ctx, l.ClientNS, conntrack.Filter{Proto: 17, OrigDport: &port}, func(ev conntrack.Event) error {
			mu.Lock()
			ours[string(AppendConntrackEvent(nil, &ev))] = ev
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
