package checks

import (
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/netdiag/netdiag/conntrack"
	"github.com/netdiag/netdiag/counters"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/snapshot"
	"github.com/netdiag/netdiag/sockdiag"
	"github.com/netdiag/netdiag/stale"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/kubeproxy"
	"github.com/netdiag/netdiag/node"
)

// healthy is a bridged node with two pods and nothing wrong.
func healthy() *snapshot.Snapshot {
	pods := []node.Pod{
		{Namespace: "default", Name: "web-0", UID: "u0", IPs: []string{"198.18.0.10"}, NetNS: node.NetNSRef{Inode: 10},
			Interface:     &node.Iface{Name: "eth0", Index: 2, MTU: 1450},
			HostInterface: &node.HostIface{Name: "veth0", Index: 5, MTU: 1450, Master: "cbr0", Up: true}},
		{Namespace: "default", Name: "web-1", UID: "u1", IPs: []string{"198.18.0.11"}, NetNS: node.NetNSRef{Inode: 11},
			Interface:     &node.Iface{Name: "eth0", Index: 2, MTU: 1450},
			HostInterface: &node.HostIface{Name: "veth1", Index: 6, MTU: 1450, Master: "cbr0", Up: true}},
	}
	cs := counters.List{{Name: "TcpExtListenOverflows", Value: 7}, {Name: "TcpExtListenDrops", Value: 7},
		{Name: "TcpExtIPReversePathFilter", Value: 3}, {Name: "TcpExtPAWSPassive", Value: 1}}
	ct := conntrack.Stats{Count: 100, Max: 1000, HasMax: true, CPUs: []conntrack.CPUStats{
		{CPU: 0, Values: []conntrack.Stat{{Name: "insert_failed", Value: 5}, {Name: "drop", Value: 2}}}}}
	s := &snapshot.Snapshot{
		Interval: 2 * time.Second,
		Pods:     pods,
		Node: snapshot.NetNSState{
			Sysctls: map[string]string{"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1",
				"net.ipv4.conf.all.rp_filter": "1", "net.ipv4.tcp_timestamps": "1"},
			Links: []snapshot.Link{
				{Name: "lo", Kind: "device", MTU: 65536, Up: true},
				{Name: "eth0", Kind: "device", MTU: 1500, Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("198.19.1.5/24")}},
				{Name: "cbr0", Kind: "bridge", MTU: 1450, Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("198.18.0.1/24")}},
				{Name: "veth0", Kind: "veth", MTU: 1450, Up: true, Master: "cbr0"},
				{Name: "veth1", Kind: "veth", MTU: 1450, Up: true, Master: "cbr0"},
				{Name: "flannel.1", Kind: "vxlan", MTU: 1450, Up: true, DstPort: 8472},
			},
			Routes:    []snapshot.Route{{Dst: netip.MustParsePrefix("0.0.0.0/0"), Dev: "eth0"}, {Dst: netip.MustParsePrefix("198.18.0.0/24"), Dev: "cbr0"}},
			Neighbors: []snapshot.Neighbor{{IP: netip.MustParseAddr("198.18.0.10"), Dev: "cbr0", State: "REACHABLE"}},
			Counters:  [2]counters.List{cs, cs},
		},
		Conntrack:       [2]conntrack.Stats{ct, ct},
		Softnet:         [2][]counters.Softnet{{{CPU: 0, Processed: 900, Dropped: 3, TimeSqueeze: 2}}, {{CPU: 0, Processed: 990, Dropped: 3, TimeSqueeze: 2}}},
		PodRanges:       []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24")},
		PodRangeSources: []node.PodRange{{Prefix: netip.MustParsePrefix("198.18.0.0/24"), Source: "route dev cbr0"}},
		IPTables: []*iptables.Ruleset{{Backend: iptables.NFT, Tables: []iptables.Table{{Name: "filter", Chains: []iptables.Chain{
			{Name: "INPUT", Policy: "ACCEPT", Rules: []iptables.Rule{{Spec: "-p udp -m udp --dport 53 -j ACCEPT"}}},
			{Name: "KUBE-SERVICES", Policy: "-", Rules: []iptables.Rule{{Spec: "-d 198.18.200.1/32 -j ACCEPT"}}},
		}}}}},
		ServiceMode: kubeproxy.ModeIPTables,
		Services: []kubeproxy.Service{{Name: "default/web:http", VIP: netip.MustParseAddr("198.18.200.1"), Port: 80, Protocol: "tcp", Type: "ClusterIP",
			Endpoints: []kubeproxy.Endpoint{{IP: netip.MustParseAddr("198.18.0.10"), Port: 8080, Live: true}}}},
		DNS: []snapshot.DNSResult{{Pod: "default/web-0", Server: "198.18.200.10", Name: "kubernetes.default", RTT: 3 * time.Millisecond, Queries: 2}},
	}
	for i := range s.Pods {
		s.PodNet = append(s.PodNet, snapshot.PodNet{Pod: &s.Pods[i], Sysctls: map[string]string{"net.core.somaxconn": "4096"},
			Counters:  [2]counters.List{cs, cs},
			Listeners: []sockdiag.Socket{{Netid: "tcp", State: "LISTEN", RecvQ: 0, SendQ: 511, Local: netip.MustParseAddrPort("0.0.0.0:8080")}}})
	}
	return s
}

func grow(c counters.List, name string, by int64) counters.List {
	out := append(counters.List(nil), c...)
	for i := range out {
		if out[i].Name == name {
			out[i].Value += by
		}
	}
	return out
}

func growCT(s conntrack.Stats, name string, by uint64) conntrack.Stats {
	out := s
	out.CPUs = []conntrack.CPUStats{{CPU: 0, Values: append([]conntrack.Stat(nil), s.CPUs[0].Values...)}}
	for i := range out.CPUs[0].Values {
		if out.CPUs[0].Values[i].Name == name {
			out.CPUs[0].Values[i].Value += by
		}
	}
	return out
}

type got struct{ Check, Severity string }

func run(s *snapshot.Snapshot) []got {
	var out []got
	for _, f := range Run(s, All()) {
		out = append(out, got{f.Check, f.Severity})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Check < out[j].Check })
	return out
}

func TestHealthyHasNoFindings(t *testing.T) {
	if g := run(healthy()); len(g) != 0 {
		t.Errorf("findings on a healthy snapshot: %+v", Run(healthy(), All()))
	}
}

func TestEveryFailureMode(t *testing.T) {
	tests := []struct {
		check string
		want  string
		fault func(s *snapshot.Snapshot)
	}{
		{"ip-forward", Fail, func(s *snapshot.Snapshot) { s.Node.Sysctls["net.ipv4.ip_forward"] = "0" }},
		{"bridge-nf-call-iptables", Fail, func(s *snapshot.Snapshot) { s.Node.Sysctls["net.bridge.bridge-nf-call-iptables"] = "0" }},
		{"bridge-nf-call-iptables", Fail, func(s *snapshot.Snapshot) { delete(s.Node.Sysctls, "net.bridge.bridge-nf-call-iptables") }},
		{"bridge-down", Fail, func(s *snapshot.Snapshot) { s.Node.Links[2].Up = false }},
		{"bridge-arp", Warn, func(s *snapshot.Snapshot) { s.Node.Neighbors[0].State = "FAILED" }},
		{"veth-down", Fail, func(s *snapshot.Snapshot) { s.Pods[1].HostInterface.Up = false }},
		{"veth-down", Fail, func(s *snapshot.Snapshot) { s.Pods[1].HostInterface.Master = "" }},
		{"mtu-mismatch", Fail, func(s *snapshot.Snapshot) { s.Pods[0].Interface.MTU = 1500; s.Pods[0].HostInterface.MTU = 1500 }},
		{"mtu-mismatch", Warn, func(s *snapshot.Snapshot) { s.Pods[0].HostInterface.MTU = 1400 }},
		{"conntrack-table", Warn, func(s *snapshot.Snapshot) { s.Conntrack[1].Count = 800 }},
		{"conntrack-table", Fail, func(s *snapshot.Snapshot) { s.Conntrack[1].Count = 950 }},
		{"conntrack-table", Fail, func(s *snapshot.Snapshot) {
			s.Kernel = []snapshot.KernelEvent{{Kind: "conntrack-table-full", Count: 3, LastLine: "nf_conntrack: table full, dropping packet"}}
		}},
		{"conntrack-insert-failed", Warn, func(s *snapshot.Snapshot) { s.Conntrack[1] = growCT(s.Conntrack[1], "insert_failed", 4) }},
		{"conntrack-insert-failed", Fail, func(s *snapshot.Snapshot) {
			s.Conntrack[1] = growCT(growCT(s.Conntrack[1], "insert_failed", 4), "drop", 1)
		}},
		{"listen-overflow", Warn, func(s *snapshot.Snapshot) {
			s.PodNet[0].Counters[1] = grow(s.PodNet[0].Counters[1], "TcpExtListenOverflows", 12)
		}},
		{"listen-overflow", Warn, func(s *snapshot.Snapshot) { s.PodNet[1].Listeners[0].RecvQ, s.PodNet[1].Listeners[0].SendQ = 128, 128 }},
		{"listen-overflow", Info, func(s *snapshot.Snapshot) {
			s.PodNet[1].Sysctls["net.core.somaxconn"] = "128"
			s.PodNet[1].Listeners[0].SendQ = 128
		}},
		{"stale-container", Fail, func(s *snapshot.Snapshot) {
			s.Stale = []stale.Group{{Namespace: "default", Pod: "web-0", ContainerID: "abc", PIDs: []int{42},
				Listening: []stale.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 8080, PID: 42}}, Reason: stale.ReasonNotInRuntime}}
		}},
		{"stale-container", Warn, func(s *snapshot.Snapshot) {
			s.Stale = []stale.Group{{Namespace: "default", Pod: "web-0", ContainerID: "abc", PIDs: []int{42}, Reason: stale.ReasonExited}}
		}},
		{"pod-cidr-overlap", Fail, func(s *snapshot.Snapshot) {
			s.Node.Links[1].Addrs = []netip.Prefix{netip.MustParsePrefix("198.18.0.200/16")}
		}},
		{"overlay-blocked", Fail, func(s *snapshot.Snapshot) {
			in := &s.IPTables[0].Tables[0].Chains[0]
			in.Rules = append(in.Rules, iptables.Rule{Spec: "-p udp -m udp --dport 8472 -j DROP"})
		}},
		{"overlay-blocked", Fail, func(s *snapshot.Snapshot) {
			s.NFT = &nftables.Ruleset{Tables: []nftables.Table{{Family: "inet", Name: "fw", Chains: []nftables.Chain{
				{Name: "input", Rules: []nftables.Rule{{Text: "udp dport { 4789, 8472 } counter packets 0 bytes 0 drop"}}}}}}}
		}},
		{"rp-filter", Warn, func(s *snapshot.Snapshot) {
			s.Node.Counters[1] = grow(s.Node.Counters[1], "TcpExtIPReversePathFilter", 9)
		}},
		{"tcp-timestamps-nat", Fail, func(s *snapshot.Snapshot) { s.Node.Sysctls["net.ipv4.tcp_tw_recycle"] = "1" }},
		{"tcp-timestamps-nat", Warn, func(s *snapshot.Snapshot) { s.Node.Counters[1] = grow(s.Node.Counters[1], "TcpExtPAWSPassive", 3) }},
		{"ipvs-conn-reuse", Warn, func(s *snapshot.Snapshot) {
			s.ServiceMode, s.KernelRelease = kubeproxy.ModeIPVS, "4.19.0-17-amd64"
			s.Node.Sysctls["net.ipv4.vs.conn_reuse_mode"] = "1"
		}},
		{"stale-endpoints", Warn, func(s *snapshot.Snapshot) { s.Services[0].Endpoints[0].Live = false }},
		{"no-local-endpoints", Info, func(s *snapshot.Snapshot) {
			ks := &s.IPTables[0].Tables[0].Chains[1]
			ks.Rules = append(ks.Rules, iptables.Rule{Spec: `-d 198.19.1.5/32 -p tcp -m comment --comment "default/lb:http has no local endpoints" -m tcp --dport 30080 -j DROP`})
		}},
		{"no-local-endpoints", Warn, func(s *snapshot.Snapshot) {
			ks := &s.IPTables[0].Tables[0].Chains[1]
			ks.Rules = append(ks.Rules, iptables.Rule{Packets: 17, Spec: `-p tcp -m comment --comment "default/lb:http has no local endpoints" -m tcp --dport 30080 -j DROP`})
		}},
		{"no-local-endpoints", Info, func(s *snapshot.Snapshot) {
			// nftables mode: a drop element of no-endpoint-services, decoded.
			s.Services = append(s.Services, kubeproxy.Service{Name: "default/internal", VIP: netip.MustParseAddr("198.18.200.7"), Port: 80,
				Protocol: "tcp", Type: "ClusterIP", TrafficPolicy: "Local", NoEndpoints: kubeproxy.NoEndpointsDrop, Chain: "no-endpoint-services", Endpoints: []kubeproxy.Endpoint{}})
		}},
		{"iptables-mixed-backends", Warn, func(s *snapshot.Snapshot) {
			s.IPTables = append(s.IPTables, &iptables.Ruleset{Backend: iptables.Legacy, Tables: []iptables.Table{{Name: "nat",
				Chains: []iptables.Chain{{Name: "KUBE-SERVICES", Rules: []iptables.Rule{{Spec: "-j KUBE-NODEPORTS"}}}}}}})
		}},
		{"dns-resolution", Fail, func(s *snapshot.Snapshot) { s.DNS[0].Err = "i/o timeout" }},
		{"dns-resolution", Warn, func(s *snapshot.Snapshot) { s.DNS[0].RTT = 5 * time.Second }},
		{"dns-resolution", Warn, func(s *snapshot.Snapshot) { s.DNS[0].Queries = 8 }},
		{"softnet-drops", Warn, func(s *snapshot.Snapshot) { s.Softnet[1][0].Dropped += 5 }},
		{"softnet-drops", Info, func(s *snapshot.Snapshot) { s.Softnet[1][0].TimeSqueeze += 5 }},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.check] = true
		s := healthy()
		tt.fault(s)
		if diff := cmp.Diff([]got{{tt.check, tt.want}}, run(s)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.check, diff)
		}
	}
	for _, id := range IDs() {
		if !covered[id] {
			t.Errorf("check %s has no fault case", id)
		}
	}
}

func TestUnavailablePartIsInfo(t *testing.T) {
	s := healthy()
	s.Unavailable = map[snapshot.Part]string{snapshot.PartConntrack: "nf_conntrack not loaded"}
	var info []string
	for _, f := range Run(s, All()) {
		if f.Severity != Info {
			t.Errorf("unexpected %+v", f)
		}
		info = append(info, f.Check)
	}
	if diff := cmp.Diff([]string{"conntrack-insert-failed", "conntrack-table"}, info); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSelect(t *testing.T) {
	cs, err := Select([]string{"ip-forward", "mtu-mismatch"}, []string{"mtu-mismatch"})
	if err != nil || len(cs) != 1 || cs[0].ID != "ip-forward" {
		t.Errorf("Select = %v, %v", cs, err)
	}
	if _, err := Select([]string{"no-such"}, nil); err == nil {
		t.Error("unknown ID accepted")
	}
}

func TestDropsUDPPort(t *testing.T) {
	for text, want := range map[string]bool{
		"-p udp -m udp --dport 8472 -j DROP":                      true,
		"-p udp -m multiport --dports 4789,8472 -j REJECT":        true,
		"-p udp -m udp --dport 8000:9000 -j DROP":                 true,
		"-p udp -m udp --dport 8472 -j ACCEPT":                    false,
		"-p tcp -m tcp --dport 8472 -j DROP":                      false,
		"udp dport 8472 drop":                                     true,
		"udp dport { 53, 8472 } counter packets 0 bytes 0 reject": true,
		"udp dport 84720 drop":                                    false,
	} {
		if got := dropsUDPPort(text, 8472); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}

// TestRealNodeNoFalseFindings: a healthy node as a real single-node
// cluster in a lab has it: the uplink eth0 is a veth holding the node
// address 198.19.255.2/24, the pods are on bridge cni0 (198.19.0.0/24 from
// the CNI configuration), kube-proxy's cluster CIDR is 198.19.0.0/16 and
// default/kubernetes:https sends to the API server on the node address.
// Neither pod-cidr-overlap nor stale-endpoints may fire.
func TestRealNodeNoFalseFindings(t *testing.T) {
	s := healthy()
	p := netip.MustParsePrefix
	s.Node.Links[1] = snapshot.Link{Name: "eth0", Kind: "veth", MTU: 1500, Up: true, Addrs: []netip.Prefix{p("198.19.255.2/24")}}
	s.PodRangeSources = []node.PodRange{
		{Prefix: p("198.18.0.0/24"), Source: "cni /etc/cni/net.d/10-bridge.conflist"},
		{Prefix: p("198.19.0.0/16"), Source: "kube-proxy --cluster-cidr", Cluster: true},
	}
	api := netip.MustParseAddr("198.19.255.2")
	s.NodeAddrs = map[netip.Addr]bool{api: true}
	s.Services = append(s.Services, kubeproxy.Service{Name: "default/kubernetes:https", VIP: netip.MustParseAddr("198.18.200.1"), Port: 443, Protocol: "tcp",
		Type: "ClusterIP", Endpoints: []kubeproxy.Endpoint{{IP: api, Port: 6443, Live: true, HostNetwork: true}}})
	if g := run(s); len(g) != 0 {
		t.Errorf("findings on a healthy real node: %+v", Run(s, All()))
	}
	// Only the cluster CIDR is known: it is what overlaps then.
	s.PodRangeSources = s.PodRangeSources[1:]
	if diff := cmp.Diff([]got{{"pod-cidr-overlap", Fail}}, run(s)); diff != "" {
		t.Errorf("cluster CIDR over the uplink (-want +got):\n%s", diff)
	}
}
