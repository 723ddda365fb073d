package snapshot

import (
	"context"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/probe"
)

// readDNS resolves kubernetes.default from one pod per set of cluster DNS
// servers. Pods whose resolv.conf has no cluster search domain
// (NS.svc.DOMAIN) do not use cluster DNS and are left out.
func readDNS(ctx context.Context, pods []*node.Pod, hostRoot string) []DNSResult {
	var out []DNSResult
	done := map[string]bool{}
	for _, p := range pods {
		conf, err := probe.ReadResolvConf(p, hostRoot)
		if err != nil {
			continue
		}
		domain := clusterDomain(conf.Search)
		if domain == "" || len(conf.Nameservers) == 0 {
			continue
		}
		key := domain
		for _, ns := range conf.Nameservers {
			key += " " + ns.String()
		}
		if done[key] {
			continue
		}
		done[key] = true
		ns, err := p.OpenNetNS()
		if err != nil {
			continue
		}
		name := "kubernetes.default.svc." + domain + "."
		// Short timeouts: the doctor reports a slow server, it does not wait it out.
		res, err := probe.Lookup(ctx, ns, conf, name, dns.TypeA, probe.LookupOptions{Timeout: 2 * time.Second, Attempts: 1})
		ns.Close()
		r := DNSResult{Pod: p.FullName(), Server: conf.Nameservers[0].String(), Name: name,
			Queries: len(probe.Candidates(conf, "www.example.com"))}
		switch {
		case err != nil:
			r.Err = err.Error()
		case res.Err != nil:
			r.Err = res.Err.Error()
			r.RTT = res.Total
		default:
			r.RTT = res.Total
		}
		out = append(out, r)
	}
	return out
}

// clusterDomain finds DOMAIN in a search list holding NS.svc.DOMAIN.
func clusterDomain(search []string) string {
	for _, s := range search {
		if _, d, ok := strings.Cut(strings.TrimSuffix(s, "."), ".svc."); ok && d != "" {
			return d
		}
	}
	return ""
}
