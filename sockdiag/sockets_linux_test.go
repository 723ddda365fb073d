package sockdiag

import (
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/internal/testlab/socklab"
)

// ssRows runs ss in a named netns and returns its rows without the header,
// each as "netid state recvq sendq local peer".
func ssRows(t *testing.T, ns string, flags string) []string {
	t.Helper()
	out := testlab.InNetNS(t, ns, "ss", "-H", flags)
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if !strings.Contains(flags, "t") || !strings.Contains(flags, "u") {
			// ss omits the Netid column when only one protocol is shown.
			proto := "tcp"
			if strings.Contains(flags, "u") {
				proto = "udp"
			}
			f = append([]string{proto}, f...)
		}
		rows = append(rows, strings.Join(f[:6], " "))
	}
	sort.Strings(rows)
	return rows
}

func socketRows(socks []Socket) []string {
	var rows []string
	for _, s := range socks {
		iface := ""
		rows = append(rows, fmt.Sprintf("%s %s %d %d %s %s", s.Netid, s.State, s.RecvQ, s.SendQ,
			Address(s.Local, iface, false, !s.V6Only), Address(s.Peer, iface, true, !s.V6Only)))
	}
	sort.Strings(rows)
	return rows
}

func TestListSocketsMatchesSS(t *testing.T) {
	testlab.RequireTool(t, "ss")
	l := socklab.New(t)
	srv := netip.MustParseAddrPort("198.18.1.2:8080")
	l.Listen(t, l.ServerNS, srv, 3)
	l.Listen(t, l.ServerNS, netip.MustParseAddrPort("[::]:8443"), 7)
	// Two connections wait in the accept queue: Recv-Q 2, Send-Q 3.
	c1 := l.Connect(t, l.ClientNS, srv)
	l.Connect(t, l.ClientNS, srv)
	l.UDP(t, l.ServerNS, netip.MustParseAddrPort("198.18.1.2:5353"), netip.AddrPort{})
	l.UDP(t, l.ClientNS, netip.MustParseAddrPort("198.18.1.1:40000"), srv)

	tests := []struct {
		name   string
		ns     string
		flags  string
		filter Filter
	}{
		{"server listening", l.Server, "-tuln", Filter{Listening: true}},
		{"server tcp listening", l.Server, "-tln", Filter{TCP: true, Listening: true}},
		{"server all", l.Server, "-tuan", Filter{All: true}},
		{"server connected", l.Server, "-tun", Filter{}},
		{"client all", l.Client, "-tuan", Filter{All: true}},
		{"client udp", l.Client, "-uan", Filter{UDP: true, All: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := l.ServerNS
			if tc.ns == l.Client {
				ns = l.ClientNS
			}
			socks, err := List(ns, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			want := ssRows(t, tc.ns, tc.flags)
			if len(want) == 0 {
				t.Fatal("ss shows no sockets; the lab is broken")
			}
			if diff := cmp.Diff(want, socketRows(socks)); diff != "" {
				t.Errorf("sockets differ from ss %s (-want +got):\n%s", tc.flags, diff)
			}
		})
	}

	t.Run("listener queues and owner", func(t *testing.T) {
		socks, err := List(l.ServerNS, Filter{TCP: true, Listening: true})
		if err != nil {
			t.Fatal(err)
		}
		var got *Socket
		for i := range socks {
			if socks[i].Local == srv {
				got = &socks[i]
			}
		}
		if got == nil {
			t.Fatalf("no listener on %s in %+v", srv, socks)
		}
		if got.State != "LISTEN" || got.RecvQ != 2 || got.SendQ != 3 {
			t.Errorf("listener = %s Recv-Q %d Send-Q %d, want LISTEN 2 3", got.State, got.RecvQ, got.SendQ)
		}
		pid := os.Getpid()
		found := false
		for _, p := range got.Processes {
			if p.PID == pid {
				found = true
			}
		}
		if !found {
			t.Errorf("owners %+v do not include this test process %d", got.Processes, pid)
		}
	})

	t.Run("client sees its connection", func(t *testing.T) {
		socks, err := List(l.ClientNS, Filter{TCP: true})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range socks {
			if s.Peer == srv && s.State == "ESTAB" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("client has %d established connections to %s, want 2: %+v", n, srv, socks)
		}
		_ = c1
	})
}
