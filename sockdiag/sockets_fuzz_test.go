package sockdiag

import (
	"os"
	"testing"
)

// The seeds are raw NETLINK_SOCK_DIAG replies recorded from the lab by
// TestWriteSeeds (kernel 6.18).
func FuzzParseSocketDiag(f *testing.F) {
	for _, name := range []string{"sockdiag_tcp4_all.bin", "sockdiag_tcp6_listen.bin"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, b []byte) {
		var socks []Socket
		_, err := Parse(b, 0, func(s Socket) { socks = append(socks, s) })
		if err != nil {
			return
		}
		for _, s := range socks {
			if !s.Local.Addr().IsValid() || !s.Peer.Addr().IsValid() || s.State == "" {
				t.Fatalf("socket without addresses or state: %+v", s)
			}
		}
	})
}

func TestParseSocketDiagSample(t *testing.T) {
	b, err := os.ReadFile("testdata/sockdiag_tcp4_all.bin")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	done, err := Parse(b, 1, func(s Socket) {
		got = append(got, s.State+" "+s.Local.String()+" "+s.Peer.String())
	})
	if err != nil {
		t.Fatal(err)
	}
	// The lab's server: a listener on 198.18.1.2:8080 and the two accepted
	// (not yet accept()ed) connections from the client; NLMSG_DONE came in
	// the next datagram.
	if done || len(got) != 3 || got[0] != "LISTEN 198.18.1.2:8080 0.0.0.0:0" {
		t.Errorf("done=%v sockets=%q", done, got)
	}
	// A sequence number that does not match skips everything.
	n := 0
	if _, err := Parse(b, 99, func(Socket) { n++ }); err != nil || n != 0 {
		t.Errorf("foreign sequence: %d sockets, %v", n, err)
	}
	// Truncation is an error, not a panic.
	if _, err := Parse(b[:40], 0, func(Socket) {}); err == nil {
		t.Error("truncated reply parsed without error")
	}
}
