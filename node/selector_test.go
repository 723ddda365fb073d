package node

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func testInventory() *Inventory {
	return &Inventory{
		NodeNetNS: NetNSRef{Inode: 1, Dev: 4},
		Pods: []Pod{
			{Namespace: "default", Name: "web-0", UID: "aaaaaaaa-0000-4000-8000-000000000000", IPs: []string{"10.4.0.10", "fd00::10"}, PID: 100, NetNS: NetNSRef{Inode: 10, Dev: 4},
				Containers: []Container{{ID: "c0", Name: "app", PIDs: []int{101, 102}}}},
			{Namespace: "default", Name: "web-1", UID: "bbbbbbbb-0000-4000-8000-000000000000", IPs: []string{"10.4.0.11"}, PID: 110, NetNS: NetNSRef{Inode: 11, Dev: 4}},
			{Namespace: "prod", Name: "web-1", UID: "cccccccc-0000-4000-8000-000000000000", IPs: []string{"10.4.0.12"}, PID: 120, NetNS: NetNSRef{Inode: 12, Dev: 4}},
			{Namespace: "kube-system", Name: "kube-proxy-x", UID: "dddddddd-0000-4000-8000-000000000000", IPs: []string{"192.0.2.2"}, PID: 130, NetNS: NetNSRef{Inode: 1, Dev: 4}, HostNetwork: true},
			{Namespace: "kube-system", Name: "node-exporter", UID: "eeeeeeee-0000-4000-8000-000000000000", IPs: []string{"192.0.2.2"}, PID: 140, NetNS: NetNSRef{Inode: 1, Dev: 4}, HostNetwork: true},
			{IPs: []string{"10.4.0.13"}, PID: 150, NetNS: NetNSRef{Inode: 13, Dev: 4}},
		},
		Processes: []Process{{PID: 111, PodUID: "BBBBBBBB-0000-4000-8000-000000000000"}},
	}
}

func TestResolve(t *testing.T) {
	inv := testInventory()
	tests := []struct {
		sel     Selector
		want    string // FullName
		wantErr error
		msg     []string // substrings of the error
	}{
		{sel: Selector{PodIP: "10.4.0.10"}, want: "default/web-0"},
		{sel: Selector{PodIP: " 10.4.0.11 "}, want: "default/web-1"},
		{sel: Selector{PodIP: "fd00::10"}, want: "default/web-0"},
		{sel: Selector{PodIP: "::ffff:10.4.0.12"}, want: "prod/web-1"},
		{sel: Selector{PodIP: "10.4.0.13"}, want: "pod 10.4.0.13"},
		{sel: Selector{PodIP: "10.4.0.99"}, wantErr: ErrNoPod, msg: []string{"--pod-ip 10.4.0.99", "closest: ", "default/web-0 (10.4.0.10)"}},
		{sel: Selector{PodIP: "10.4.0.999"}, wantErr: ErrBadSelector, msg: []string{"not an IP address"}},
		{sel: Selector{PodIP: "web-0"}, wantErr: ErrBadSelector},
		{sel: Selector{PodIP: "192.0.2.2"}, wantErr: ErrAmbiguous, msg: []string{"matches 2 pods", "kube-system/kube-proxy-x", "kube-system/node-exporter"}},
		{sel: Selector{PodIP: "192.0.2.2", Pod: "kube-system/node-exporter"}, want: "kube-system/node-exporter"},
		{sel: Selector{Pod: "default/web-1"}, want: "default/web-1"},
		{sel: Selector{Pod: "web-0"}, want: "default/web-0"},
		{sel: Selector{Pod: "web-1"}, wantErr: ErrAmbiguous, msg: []string{"default/web-1", "prod/web-1", "NAMESPACE/NAME"}},
		{sel: Selector{Pod: "web-1", PodIP: "10.4.0.12"}, want: "prod/web-1"},
		{sel: Selector{Pod: "default/web-2"}, wantErr: ErrNoPod, msg: []string{"closest: default/web-0", "default/web-1"}},
		{sel: Selector{Pod: "wbe-0"}, wantErr: ErrNoPod, msg: []string{"closest: default/web-0"}},
		{sel: Selector{Pod: "/x"}, wantErr: ErrBadSelector},
		{sel: Selector{Pod: "a/b/c"}, wantErr: ErrBadSelector},
		{sel: Selector{PodUID: "CCCCCCCC-0000-4000-8000-000000000000"}, want: "prod/web-1"},
		{sel: Selector{PodUID: "cccccccc-0000-4000-8000-00000000000f"}, wantErr: ErrNoPod, msg: []string{"cccccccc-0000-4000-8000-000000000000 prod/web-1"}},
		{sel: Selector{PID: 100}, want: "default/web-0"},
		{sel: Selector{PID: 102}, want: "default/web-0"},
		{sel: Selector{PID: 111}, want: "default/web-1"}, // from the process table
		{sel: Selector{PID: -1}, wantErr: ErrBadSelector},
		{sel: Selector{PodIP: "10.4.0.10", Pod: "prod/web-1"}, wantErr: ErrNoPod},
		{sel: Selector{}, wantErr: ErrBadSelector},
	}
	for _, tt := range tests {
		t.Run(tt.sel.String(), func(t *testing.T) {
			p, err := inv.Resolve(tt.sel)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Resolve(%+v) = %v, %v; want error %v", tt.sel, p, err, tt.wantErr)
				}
				if p != nil {
					t.Errorf("Resolve returned a pod with an error")
				}
				for _, m := range tt.msg {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("error %q does not contain %q", err, m)
					}
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q has more than one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%+v): %v", tt.sel, err)
			}
			if got := p.FullName(); got != tt.want {
				t.Errorf("Resolve(%+v) = %s, want %s", tt.sel, got, tt.want)
			}
		})
	}
}

func TestResolveNetNSPath(t *testing.T) {
	self, err := statNetNS("/proc/self/ns/net")
	if err != nil {
		t.Skipf("cannot stat own netns: %v", err)
	}
	inv := testInventory()
	inv.Pods[2].NetNS = self
	p, err := inv.Resolve(Selector{NetNS: "/proc/self/ns/net"})
	if err != nil {
		t.Fatal(err)
	}
	if p.FullName() != "prod/web-1" {
		t.Errorf("got %s, want prod/web-1", p.FullName())
	}
	if _, err := inv.Resolve(Selector{NetNS: "/nonexistent/netns"}); !errors.Is(err, ErrBadSelector) {
		t.Errorf("missing path: %v, want ErrBadSelector", err)
	}
	f, err := os.CreateTemp(t.TempDir(), "notns")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := inv.Resolve(Selector{NetNS: f.Name()}); !errors.Is(err, ErrBadSelector) || !strings.Contains(err.Error(), "not a network namespace") {
		t.Errorf("regular file as --netns: %v, want ErrBadSelector saying it is not a netns", err)
	}
}

func TestSuggestionsBounded(t *testing.T) {
	inv := &Inventory{}
	for i := 0; i < 50; i++ {
		inv.Pods = append(inv.Pods, Pod{Namespace: "ns", Name: "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)), IPs: []string{"10.0.0." + string(rune('0'+i%10))}})
	}
	_, err := inv.Resolve(Selector{Pod: "zzz"})
	if !errors.Is(err, ErrNoPod) {
		t.Fatal(err)
	}
	if n := strings.Count(err.Error(), ", "); n > maxSuggestions+1 {
		t.Errorf("error lists %d items, want at most %d: %v", n, maxSuggestions, err)
	}
	if !strings.Contains(err.Error(), "more") {
		t.Errorf("error does not say more were left out: %v", err)
	}
}
