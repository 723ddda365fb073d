package analyze

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/netdiag/netdiag/capture/pcapio"
)

const (
	cli = "198.18.0.10"
	srv = "198.18.0.20"
)

// summary is what the tests compare: pattern and packet numbers.
type summary struct {
	Pattern  string
	Severity string
	Packets  []int
}

func summarize(r *Report) []summary {
	var out []summary
	for _, f := range r.Findings {
		out = append(out, summary{f.Pattern, f.Severity, f.Packets})
	}
	return out
}

func handshake(tr *trace, sport uint16) {
	tr.tcp(cli, sport, srv, 80, "S", 1000, 0, 0)
	tr.after(time.Millisecond).tcp(srv, 80, cli, sport, "SA", 5000, 1001, 0)
	tr.after(time.Millisecond).tcp(cli, sport, srv, 80, "A", 1001, 5001, 0)
}

func TestPatterns(t *testing.T) {
	tests := []struct {
		name  string
		build func(tr *trace)
		want  []summary
		tcp   TCPCounts
	}{{
		name: "healthy request and close",
		build: func(tr *trace) {
			handshake(tr, 40000)
			tr.after(time.Millisecond).tcp(cli, 40000, srv, 80, "PA", 1001, 5001, 100)
			tr.after(time.Millisecond).tcp(srv, 80, cli, 40000, "PA", 5001, 1101, 500)
			tr.after(time.Millisecond).tcp(cli, 40000, srv, 80, "FA", 1101, 5501, 0)
			tr.after(time.Millisecond).tcp(srv, 80, cli, 40000, "FA", 5501, 1102, 0)
			tr.after(time.Millisecond).tcp(cli, 40000, srv, 80, "A", 1102, 5502, 0)
		},
		tcp: TCPCounts{Attempts: 1, Established: 1},
	}, {
		name: "SYN retransmitted, no answer",
		build: func(tr *trace) {
			tr.tcp(cli, 40001, srv, 80, "S", 1, 0, 0)
			tr.after(time.Second).tcp(cli, 40001, srv, 80, "S", 1, 0, 0)
			tr.after(2*time.Second).tcp(cli, 40001, srv, 80, "S", 1, 0, 0)
		},
		want: []summary{{"tcp-syn-timeout", SevWarn, []int{1, 2, 3}}},
		tcp:  TCPCounts{Attempts: 1, TimedOut: 1},
	}, {
		name: "refused",
		build: func(tr *trace) {
			tr.tcp(cli, 40002, srv, 81, "S", 1, 0, 0)
			tr.after(time.Millisecond).tcp(srv, 81, cli, 40002, "RA", 0, 2, 0)
		},
		want: []summary{{"tcp-refused", SevWarn, []int{1, 2}}},
		tcp:  TCPCounts{Attempts: 1, Refused: 1},
	}, {
		name: "ICMP admin prohibited",
		build: func(tr *trace) {
			tr.tcp(cli, 40003, srv, 82, "S", 1, 0, 0)
			tr.after(time.Millisecond).icmpErr("198.18.0.1", cli, 3, 13, 0, tr.lastIP())
		},
		want: []summary{{"tcp-unreachable", SevWarn, []int{1, 2}}},
		tcp:  TCPCounts{Attempts: 1, Unreachable: 1},
	}, {
		name: "listen queue overflow: SYN-ACK retransmitted after the ACK",
		build: func(tr *trace) {
			handshake(tr, 40004)
			tr.after(time.Millisecond).tcp(cli, 40004, srv, 80, "PA", 1001, 5001, 100)
			tr.after(time.Second).tcp(srv, 80, cli, 40004, "SA", 5000, 1001, 0)
			tr.after(time.Millisecond).tcp(cli, 40004, srv, 80, "PA", 1001, 5001, 100)
		},
		want: []summary{{"tcp-listen-overflow", SevWarn, []int{3, 5, 6}}},
		tcp:  TCPCounts{Attempts: 1, Established: 1},
	}, {
		name: "server acknowledges but never answers",
		build: func(tr *trace) {
			handshake(tr, 40005)
			tr.after(time.Millisecond).tcp(cli, 40005, srv, 80, "PA", 1001, 5001, 100)
			tr.after(time.Millisecond).tcp(srv, 80, cli, 40005, "A", 5001, 1101, 0)
			tr.after(3*time.Second).tcp(cli, 40005, srv, 80, "A", 1101, 5001, 0)
		},
		want: []summary{{"tcp-no-server-data", SevWarn, []int{3}}},
		tcp:  TCPCounts{Attempts: 1, Established: 1},
	}, {
		name: "reset mid-stream",
		build: func(tr *trace) {
			handshake(tr, 40006)
			tr.after(time.Millisecond).tcp(cli, 40006, srv, 80, "PA", 1001, 5001, 10)
			tr.after(time.Millisecond).tcp(srv, 80, cli, 40006, "PA", 5001, 1011, 10)
			tr.after(time.Millisecond).tcp(srv, 80, cli, 40006, "RA", 5011, 1011, 0)
		},
		want: []summary{{"tcp-reset", SevWarn, []int{6}}},
		tcp:  TCPCounts{Attempts: 1, Established: 1},
	}, {
		name: "MTU black hole: large segments never acknowledged",
		build: func(tr *trace) {
			handshake(tr, 40007)
			tr.after(time.Millisecond).tcp(cli, 40007, srv, 80, "PA", 1001, 5001, 100)
			tr.after(time.Millisecond).tcp(srv, 80, cli, 40007, "PA", 5001, 1101, 200)
			tr.after(time.Millisecond).tcp(cli, 40007, srv, 80, "A", 1101, 5201, 0)
			tr.after(time.Millisecond).tcp(srv, 80, cli, 40007, "A", 5201, 1101, 1448)
			tr.after(200*time.Millisecond).tcp(srv, 80, cli, 40007, "A", 5201, 1101, 1448)
			tr.after(400*time.Millisecond).tcp(srv, 80, cli, 40007, "A", 5201, 1101, 1448)
		},
		want: []summary{{"pmtu-blackhole", SevFail, []int{7, 8, 9}}},
		tcp:  TCPCounts{Attempts: 1, Established: 1},
	}, {
		name: "ICMP fragmentation needed",
		build: func(tr *trace) {
			handshake(tr, 40008)
			tr.after(time.Millisecond).tcp(srv, 80, cli, 40008, "A", 5001, 1001, 1448)
			tr.after(time.Millisecond).icmpErr("198.18.0.1", srv, 3, 4, 1400, tr.lastIP())
		},
		want: []summary{{"pmtu-frag-needed", SevWarn, []int{5}}},
		tcp:  TCPCounts{Attempts: 1, Established: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTrace(t)
			tt.build(tr)
			r := tr.analyze()
			if diff := cmp.Diff(tt.want, summarize(r)); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%+v", diff, r.Findings)
			}
			if diff := cmp.Diff(tt.tcp, r.TCP); diff != "" {
				t.Errorf("tcp counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDNSPatterns(t *testing.T) {
	const dnsSrv = "198.18.0.53"
	tests := []struct {
		name  string
		build func(tr *trace)
		want  []summary
	}{{
		name: "answered quickly",
		build: func(tr *trace) {
			q := query(1, "web.default.svc.cluster.local.", dns.TypeA)
			tr.dns(cli, 5000, dnsSrv, 53, q)
			tr.after(2*time.Millisecond).dns(dnsSrv, 53, cli, 5000, answer(q, dns.RcodeSuccess, "198.18.1.1"))
		},
	}, {
		name: "no answer",
		build: func(tr *trace) {
			tr.dns(cli, 5001, dnsSrv, 53, query(2, "a.example.", dns.TypeA))
			tr.after(5*time.Second).dns(cli, 5001, dnsSrv, 53, query(2, "a.example.", dns.TypeA))
			tr.after(5 * time.Second)
			tr.dns(cli, 5002, dnsSrv, 53, query(9, "z.example.", dns.TypeA))
		},
		want: []summary{{"dns-no-answer", SevWarn, []int{1, 2}}}, // one lookup, resent
	}, {
		name: "slow answer",
		build: func(tr *trace) {
			q := query(3, "slow.example.", dns.TypeA)
			tr.dns(cli, 5003, dnsSrv, 53, q)
			tr.after(1500*time.Millisecond).dns(dnsSrv, 53, cli, 5003, answer(q, dns.RcodeSuccess, "198.18.1.2"))
		},
		want: []summary{{"dns-slow", SevWarn, []int{1, 2}}},
	}, {
		name: "A answered, AAAA lost, retried after 5 s",
		build: func(tr *trace) {
			qa, q6 := query(4, "svc.example.", dns.TypeA), query(5, "svc.example.", dns.TypeAAAA)
			tr.dns(cli, 5004, dnsSrv, 53, qa)
			tr.dns(cli, 5004, dnsSrv, 53, q6)
			tr.after(time.Millisecond).dns(dnsSrv, 53, cli, 5004, answer(qa, dns.RcodeSuccess, "198.18.1.3"))
			tr.after(5*time.Second).dns(cli, 5004, dnsSrv, 53, q6)
			tr.after(time.Millisecond).dns(dnsSrv, 53, cli, 5004, answer(q6, dns.RcodeSuccess))
		},
		want: []summary{{"dns-parallel-query-lost", SevWarn, []int{1, 2, 3, 4}}},
	}, {
		name: "NXDOMAIN storm from the search list",
		build: func(tr *trace) {
			id := uint16(10)
			for _, suffix := range []string{"default.svc.cluster.local.", "svc.cluster.local.", "cluster.local.", "c.project.internal."} {
				q := query(id, "api.example.com."+suffix, dns.TypeA)
				tr.dns(cli, 5005, dnsSrv, 53, q)
				tr.after(time.Millisecond).dns(dnsSrv, 53, cli, 5005, answer(q, dns.RcodeNameError))
				id++
			}
			q := query(id, "api.example.com.", dns.TypeA)
			tr.dns(cli, 5005, dnsSrv, 53, q)
			tr.after(time.Millisecond).dns(dnsSrv, 53, cli, 5005, answer(q, dns.RcodeSuccess, "198.18.1.4"))
		},
		want: []summary{{"dns-nxdomain-storm", SevWarn, []int{1, 3, 5, 7}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTrace(t)
			tt.build(tr)
			r := tr.analyze()
			if diff := cmp.Diff(tt.want, summarize(r)); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%+v", diff, r.Findings)
			}
		})
	}
}

// TestReadFrom checks the file path: pcap written, read back, analyzed.
func TestReadFrom(t *testing.T) {
	tr := newTrace(t)
	tr.tcp(cli, 40002, srv, 81, "S", 1, 0, 0)
	tr.after(time.Millisecond).tcp(srv, 81, cli, 40002, "RA", 0, 2, 0)
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.LinkTypeEthernet, 262144, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tr.pkts {
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapio.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{})
	if err := a.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	rep := a.Report()
	if rep.Packets != 2 || rep.TCP.Refused != 1 || len(rep.Flows) != 1 || rep.Flows[0].State != "refused" {
		t.Errorf("report: %+v", rep)
	}
}
