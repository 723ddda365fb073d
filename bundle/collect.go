package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/netdiag/netdiag/conntrack"
	"github.com/netdiag/netdiag/counters"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/ipvs"
	"github.com/netdiag/netdiag/kmsg"
	"github.com/netdiag/netdiag/kubeproxy"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/show"
	"github.com/netdiag/netdiag/snapshot"
	"github.com/netdiag/netdiag/sockdiag"
	"github.com/netdiag/netdiag/sysctl"
)

// Bounds on item counts, so that no section holds more than this before
// the byte caps apply.
const (
	maxSockets = 50000
	maxSysctls = 20000
)

// notRead is the reason for a part the snapshot should have read and did
// not: a bug, since the bundle asks for every raw part.
const notRead = "not in the snapshot (please report it)"

// noSnapshot says why there is no snapshot to write from.
func (c *collector) noSnapshot() string {
	if c.snapErr != nil {
		return c.snapErr.Error()
	}
	return notRead
}

func (c *collector) node() {
	what := "the node"
	cp := caps{text: c.share(shareIPText), json: c.share(shareIPJSON)}
	if raw := c.snap.Node.Raw; raw == nil {
		c.a.missing("node/", "the node network namespace", notRead)
	} else {
		c.guard("node/", func() { c.netnsMembers(raw, "node/", what, cp, nil) })
	}
	if c.interrupted("node/iptables") {
		return
	}
	c.guard("node/iptables", c.iptables)
	c.guard("node/nft.txt", c.nft)
	c.guard("node/ipvs.txt", c.ipvs)
	c.guard("node/services.json", c.services)
	c.guard("node/conntrack", c.conntrack)
}

func (c *collector) sockets(raw *snapshot.RawNetNS, dir, what string, cp caps, ip *show.IPState) {
	descText := "TCP and UDP sockets of " + what + " in every state, with owning processes (ss -tunap)"
	descJSON := "TCP and UDP sockets of " + what + " as JSON (netdiag sockets -a -o json)"
	if err := raw.SocketsErr; err != nil {
		c.a.missing(dir+"sockets.txt", descText, err.Error())
		c.a.missing(dir+"sockets.json", descJSON, err.Error())
		return
	}
	socks := raw.Sockets
	total := len(socks)
	note := ""
	if total > maxSockets {
		socks = socks[:maxSockets]
		note = fmt.Sprintf("only the first %d of %d sockets were kept", maxSockets, total)
	}
	names := map[uint32]string{}
	if ip != nil {
		for _, l := range ip.Links {
			names[uint32(l.Index)] = l.Name
		}
	}
	c.a.addText(dir+"sockets.txt", descText, cp.text, note, nil, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "Netid\tState\tRecv-Q\tSend-Q\tLocal Address:Port\tPeer Address:Port\tProcess")
		for _, s := range socks {
			ifname := ""
			if s.Interface != 0 {
				ifname = names[s.Interface]
				if ifname == "" {
					ifname = strconv.Itoa(int(s.Interface))
				}
			}
			dual := !s.V6Only
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", s.Netid, s.State, s.RecvQ, s.SendQ,
				sockdiag.Address(s.Local, ifname, false, dual),
				sockdiag.Address(s.Peer, "", true, dual),
				sockdiag.Users(s.Processes))
		}
		return tw.Flush()
	})
	c.a.addJSONList(dir+"sockets.json", descJSON, cp.json, note, len(socks), func(n int) any {
		out := socks[:n]
		if out == nil {
			out = []sockdiag.Socket{}
		}
		return struct {
			Sockets   []sockdiag.Socket `json:"sockets"`
			Total     int               `json:"total"`
			Truncated bool              `json:"truncated,omitempty"`
		}{out, total, n < total}
	})
}

func (c *collector) sysctls(raw *snapshot.RawNetNS, dir, what string, cp caps, pod *node.Pod) {
	desc := "net.* sysctls of " + what + " (sysctl -a -r '^net\\.'); values of secret-looking names are redacted"
	// A copy: sorting and redaction must not change the snapshot.
	vals := append([]sysctl.Param(nil), raw.Sysctls...)
	note := ""
	if pod == nil {
		if err := raw.SysctlsErr; err != nil {
			c.a.missing(dir+"sysctl.txt", desc, err.Error())
			return
		}
		// Thousands of per-interface entries (one set per veth) go last, so
		// a cut loses those rather than net.netfilter.* or net.ipv6.*.
		sort.SliceStable(vals, func(i, j int) bool { return !perInterface(vals[i].Name) && perInterface(vals[j].Name) })
		if len(vals) > maxSysctls {
			note = fmt.Sprintf("only the first %d of %d sysctls were kept", maxSysctls, len(vals))
			vals = vals[:maxSysctls]
		}
	} else {
		desc = "the net.* sysctls of " + what + " that shape a pod's traffic (the rest follow the netns defaults)"
		if len(raw.SysctlsMissing) > 0 {
			note = "not present in this netns: " + strings.Join(raw.SysctlsMissing, ", ")
		}
	}
	redacted := 0
	for i := range vals {
		if SecretKey(vals[i].Name) {
			vals[i].Value = Redacted
			redacted++
		}
	}
	if redacted > 0 {
		note = joinNote(note, fmt.Sprintf("%d secret-looking values redacted", redacted))
	}
	c.a.addText(dir+"sysctl.txt", desc, cp.text, note, nil, func(w io.Writer) error {
		for _, v := range vals {
			fmt.Fprintf(w, "%s = %s\n", v.Name, v.Value)
		}
		return nil
	})
}

// perInterface reports whether a sysctl belongs to one interface
// (net.ipv4.conf.veth1.rp_filter), not to all, default or lo.
func perInterface(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) < 5 || (parts[2] != "conf" && parts[2] != "neigh") {
		return false
	}
	switch parts[3] {
	case "all", "default", "lo":
		return false
	}
	return true
}

func (c *collector) counters(dir, what string, cp caps, pod *node.Pod) {
	desc := "SNMP and netstat counters of " + what + " since boot (nstat -az)"
	note := ""
	nonZero := pod != nil
	if nonZero {
		desc = "the non-zero SNMP and netstat counters of " + what + " since the netns was made (nstat -a)"
	}
	cs := c.snapCounters(pod)
	if cs == nil {
		reason := "the counters of this netns could not be read"
		if why := c.snap.Unavailable[snapshot.PartCounters]; pod == nil && why != "" {
			reason = why
		}
		c.a.missing(dir+"counters.txt", desc, reason)
		return
	}
	c.a.addText(dir+"counters.txt", desc, min(cp.text, c.share(shareCounters)+4096), note, nil, func(w io.Writer) error {
		for _, ctr := range cs {
			if nonZero && ctr.Value == 0 {
				continue
			}
			fmt.Fprintf(w, "%s %d\n", ctr.Name, ctr.Value)
		}
		return nil
	})
}

// snapCounters is the snapshot's second sample of the node's (pod nil) or
// a pod's counters; nil when the snapshot has none.
func (c *collector) snapCounters(pod *node.Pod) counters.List {
	if c.snap == nil {
		return nil
	}
	if pod == nil {
		return c.snap.Node.Counters[1]
	}
	for _, pn := range c.snap.PodNet {
		if pn.Pod != nil && pn.Pod.UID == pod.UID && pn.Pod.NetNS.Same(pod.NetNS) {
			return pn.Counters[1]
		}
	}
	return nil
}

// iptablesCloser ends a table left open by truncation, so the text still
// parses as iptables-save output.
func iptablesCloser(kept []byte) []byte {
	open := false
	for _, l := range bytes.Split(kept, []byte("\n")) {
		switch {
		case bytes.HasPrefix(l, []byte("*")):
			open = true
		case bytes.Equal(l, []byte("COMMIT")):
			open = false
		}
	}
	if open {
		return []byte("COMMIT\n")
	}
	return nil
}

func (c *collector) iptables() {
	sets := map[iptables.Backend]*iptables.Ruleset{}
	var sts []iptables.BackendStatus
	for _, sv := range c.snap.Raw.IPTables {
		b, st := sv.Status.Backend, sv.Status
		name := "node/iptables-" + string(b) + ".txt"
		desc := "iptables rules with counters in the " + string(b) + " backend of the node (iptables-" + string(b) + "-save -c)"
		sts = append(sts, st)
		if err := sv.Err; err != nil {
			reason := err.Error()
			if errors.Is(err, iptables.ErrNoBinary) {
				reason += "; the nf_tables side is in node/nft.txt"
			}
			c.a.missing(name, desc, reason)
			continue
		}
		note := ""
		if sv.Ruleset == nil {
			note = "the output did not parse: " + sv.ParseErr.Error()
		} else {
			sets[b] = sv.Ruleset
			note = fmt.Sprintf("%d rules", st.Rules)
			if st.Source == iptables.SourceNetlink {
				note += "; no iptables-nft-save on the node: read over netlink and printed as it prints them"
			}
		}
		out := sv.Text
		c.a.addText(name, desc, c.share(shareIPTables), note, iptablesCloser, func(w io.Writer) error {
			_, err := w.Write(out)
			return err
		})
	}
	var notes []string
	if len(sets) == 2 && sets[iptables.Legacy].RuleCount() > 0 && sets[iptables.NFT].RuleCount() > 0 {
		notes = append(notes, "rules in both iptables backends: check which one the node's components use")
	}
	c.a.addJSON("node/iptables-backends.json", "how many rules each iptables backend holds, as iptables-wrappers counts them", 64<<10, "", struct {
		Backends []iptables.BackendStatus `json:"backends"`
		Notes    []string                 `json:"notes,omitempty"`
	}{sts, notes})
}

func (c *collector) nft() {
	const name, desc = "node/nft.txt", "the nftables ruleset of the node, read over netlink (nft list ruleset)"
	rs := c.snap.NFT
	if rs == nil {
		reason := notRead
		if err := c.snap.Raw.NFTErr; err != nil {
			reason = err.Error()
		}
		c.a.missing(name, desc, reason)
		return
	}
	note := fmt.Sprintf("%d tables", len(rs.Tables))
	c.a.addText(name, desc, c.share(shareNFT), note, nil, func(w io.Writer) error { return show.WriteNFT(w, rs) })
}

func (c *collector) ipvs() {
	const name, desc = "node/ipvs.txt", "IPVS virtual and real servers of the node (ipvsadm -Ln)"
	st, err := c.snap.Raw.IPVS, c.snap.Raw.IPVSErr
	if errors.Is(err, ipvs.ErrNotLoaded) {
		msg := err.Error()
		c.a.addText(name, desc, c.share(shareIPVS), "IPVS is not loaded", nil, func(w io.Writer) error {
			_, werr := fmt.Fprintln(w, msg)
			return werr
		})
		return
	}
	if err != nil {
		c.a.missing(name, desc, err.Error())
		return
	}
	c.a.addText(name, desc, c.share(shareIPVS), fmt.Sprintf("%d virtual servers", len(st.Services)), nil, func(w io.Writer) error { return show.WriteIPVS(w, st) })
}

// services writes kube-proxy's services as the snapshot decoded them, with
// each endpoint's liveness.
func (c *collector) services() {
	const name, desc = "node/services.json", "kube-proxy's services and endpoints decoded from its rules (netdiag services -o json)"
	s := c.snap
	switch {
	case s == nil:
		c.a.missing(name, desc, c.snapErr.Error())
		return
	case s.Unavailable[snapshot.PartServices] != "":
		c.a.missing(name, desc, s.Unavailable[snapshot.PartServices])
		return
	case s.NoServices != "":
		c.a.missing(name, desc, s.NoServices)
		return
	}
	note := ""
	if c.inv == nil || len(c.inv.Sources) == 0 {
		note = "no pod list: every endpoint is shown as live"
	}
	c.a.addJSONList(name, desc, c.share(shareServices), note, len(s.Services), func(n int) any {
		return struct {
			Mode      kubeproxy.Mode      `json:"mode"`
			Services  []kubeproxy.Service `json:"services"`
			Total     int                 `json:"total"`
			Truncated bool                `json:"truncated,omitempty"`
		}{s.ServiceMode, s.Services[:n], len(s.Services), n < len(s.Services)}
	})
}

// conntrack writes the snapshot's second sample of the statistics and its
// sample of entries.
func (c *collector) conntrack() {
	const statsName, statsDesc = "node/conntrack-stats.json", "conntrack table size, limit and per-CPU statistics of the node (conntrack -S, -C)"
	const sampleName = "node/conntrack-sample.txt"
	sampleDesc := fmt.Sprintf("the first %d conntrack entries of the node in kernel order (conntrack -L)", max(c.o.ConntrackSample, 0))
	st, err := c.snap.Conntrack[1], c.snap.Raw.ConntrackErr
	if errors.Is(err, conntrack.ErrUnavailable) {
		c.a.addJSON(statsName, statsDesc, 64<<10, "conntrack is not loaded", struct {
			Available bool   `json:"available"`
			Message   string `json:"message"`
		}{false, conntrack.ErrUnavailable.Error()})
		c.a.missing(sampleName, sampleDesc, conntrack.ErrUnavailable.Error())
		return
	}
	if err != nil {
		c.a.missing(statsName, statsDesc, err.Error())
	} else {
		totals := map[string]uint64{}
		for _, n := range conntrack.StatNames {
			totals[n] = st.Total(n)
		}
		var maxp *uint64
		if st.HasMax {
			maxp = &st.Max
		}
		c.a.addJSON(statsName, statsDesc, capMin(c.share(shareConntrack)/4, 64<<10), "", struct {
			Available bool                 `json:"available"`
			Count     uint64               `json:"count"`
			Max       *uint64              `json:"max"`
			Totals    map[string]uint64    `json:"totals"`
			Source    string               `json:"source"`
			CPUs      []conntrack.CPUStats `json:"cpus"`
		}{true, st.Count, maxp, totals, st.Source, st.CPUs})
	}
	if c.o.ConntrackSample < 0 {
		c.a.missing(sampleName, sampleDesc, "not asked for (--conntrack-sample 0)")
		return
	}
	if err := c.snap.Raw.ConntrackSampleErr; err != nil {
		c.a.missing(sampleName, sampleDesc, err.Error())
		return
	}
	var lines [][]byte
	for i := range c.snap.Raw.ConntrackSample {
		lines = append(lines, append(show.AppendConntrack(nil, &c.snap.Raw.ConntrackSample[i]), '\n'))
	}
	note := fmt.Sprintf("%d entries", len(lines))
	c.a.addText(sampleName, sampleDesc, c.share(shareConntrack), note, nil, func(w io.Writer) error {
		for _, l := range lines {
			w.Write(l)
		}
		return nil
	})
}

func capMin(v, floor int64) int64 { return max(v, floor) }

func (c *collector) cni() {
	const desc = "CNI network configuration from /etc/cni/net.d, secret-looking values redacted"
	if c.snap == nil || c.snap.Raw == nil {
		c.a.missing("cni/", desc, c.noSnapshot())
		return
	}
	cfg := c.snap.Raw.CNI
	if cfg.Err != nil {
		c.a.missing("cni/", desc, cfg.Err.Error())
		return
	}
	for _, f := range cfg.Files {
		member := "cni/" + safeName(f.Name)
		if f.Err != nil {
			c.a.missing(member, desc, f.Err.Error())
			continue
		}
		red, n, err := RedactJSON(f.Data)
		if err != nil {
			c.a.missing(member, desc, fmt.Sprintf("%s: %v: left out whole, since secrets in it could not be found", f.Name, err))
			continue
		}
		note := ""
		if n > 0 {
			note = fmt.Sprintf("%d values redacted", n)
		}
		// A cut would break the JSON, so the file goes whole or not at all.
		c.a.addJSONList(member, desc, c.share(shareCNI), note, 0, func(int) any { return json.RawMessage(red) })
	}
	if len(cfg.Skipped) > 0 {
		c.a.man.Notes = append(c.a.man.Notes, fmt.Sprintf("cni: %d files in %s left out (only *.conf, *.conflist and *.json are collected): %s", len(cfg.Skipped), cfg.Dir, strings.Join(cfg.Skipped, ", ")))
	}
}

func (c *collector) kernel() {
	const evName, evDesc = "kernel/events.json", "network failure lines in the kernel log, counted by kind with the last one seen (conntrack table full, unregister_netdevice, neighbour table overflow, …)"
	const lnName = "kernel/network-lines.txt"
	lnDesc := fmt.Sprintf("the last %d network-related kernel log lines (dmesg; time is seconds since boot)", max(c.o.KernelLines, 0))
	if c.snap == nil || c.snap.Raw == nil {
		c.a.missing(evName, evDesc, c.noSnapshot())
		return
	}
	raw := c.snap.Raw
	if err := raw.KernelEventsErr; err != nil {
		c.a.missing(evName, evDesc, err.Error())
	} else {
		evs := raw.KernelEvents
		if evs == nil {
			evs = []kmsg.Event{}
		}
		c.a.addJSONList(evName, evDesc, c.share(shareKernel)/4, "", len(evs), func(n int) any {
			return struct {
				Events []kmsg.Event `json:"events"`
			}{evs[:n]}
		})
	}
	if c.o.KernelLines < 0 {
		c.a.missing(lnName, lnDesc, "not asked for")
		return
	}
	lines, seen, err := raw.KernelLines, raw.KernelLinesSeen, raw.KernelLinesErr
	if err != nil && len(lines) == 0 {
		c.a.missing(lnName, lnDesc, err.Error())
		return
	}
	note := fmt.Sprintf("%d of %d network-related lines in the buffer", len(lines), seen)
	if err != nil {
		note = joinNote(note, err.Error())
	}
	c.a.addText(lnName, lnDesc, c.share(shareKernel), note, nil, func(w io.Writer) error {
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
		return nil
	})
}

// podDirs names each pod's directory NAMESPACE_NAME, unique in the bundle.
func podDirs(pods []node.Pod) []string {
	used := map[string]int{}
	out := make([]string, len(pods))
	for i, p := range pods {
		base := ""
		switch {
		case p.Name != "":
			base = p.Namespace + "_" + p.Name
		case p.UID != "":
			base = "uid-" + p.UID
		default:
			base = "netns-" + strconv.FormatUint(p.NetNS.Inode, 10)
		}
		base = safeName(base)
		used[base]++
		if n := used[base]; n > 1 {
			base += "-" + strconv.Itoa(n)
		}
		out[i] = "pods/" + base + "/"
	}
	return out
}

func (c *collector) podNetns() {
	if c.inv == nil || len(c.inv.Pods) == 0 {
		return
	}
	pods := c.inv.Pods
	per := c.share(sharePodNetns) / int64(len(pods))
	// Small members (routes, sysctls) rarely use their cap; a pod's sockets may.
	cp := caps{text: max(per/3, 16<<10), json: max(per/2, 16<<10)}
	seen := map[uint64]string{}
	dirs := podDirs(pods)
	byPod := map[*node.Pod]*snapshot.PodNet{}
	for i := range c.snap.PodNet {
		byPod[c.snap.PodNet[i].Pod] = &c.snap.PodNet[i]
	}
	for i := range pods {
		p := &pods[i]
		dir := dirs[i]
		what := "pod " + p.FullName()
		if c.interrupted(dir) {
			return
		}
		if p.HostNetwork || (p.NetNS.Inode != 0 && p.NetNS.Same(c.inv.NodeNetNS)) {
			c.a.man.Notes = append(c.a.man.Notes, fmt.Sprintf("%s uses the host network: see node/", what))
			continue
		}
		if other, ok := seen[p.NetNS.Inode]; ok && p.NetNS.Inode != 0 {
			c.a.man.Notes = append(c.a.man.Notes, fmt.Sprintf("%s shares its netns with %s", what, other))
			continue
		}
		seen[p.NetNS.Inode] = dir
		pn := byPod[p]
		switch {
		case pn == nil:
			c.a.missing(dir, "the network namespace of "+what, fmt.Sprintf("open netns of %s: no process or netns path known", p.FullName()))
			continue
		case pn.NetNSErr != nil:
			c.a.missing(dir, "the network namespace of "+what, pn.NetNSErr.Error())
			continue
		case pn.Raw == nil:
			c.a.missing(dir, "the network namespace of "+what, notRead)
			continue
		}
		c.guard(dir, func() { c.netnsMembers(pn.Raw, dir, what, cp, p) })
	}
}
