package node

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/nsutil"
)

// Selector picks one pod. Fields left zero do not constrain; when several are
// set the pod must match all of them.
type Selector struct {
	PodIP  string // an IP of the pod
	Pod    string // "NAMESPACE/NAME" or "NAME"
	PodUID string // metadata.uid
	PID    int    // any process of the pod
	NetNS  string // a path naming the pod's netns (/proc/PID/ns/net, /var/run/netns/X)
}

// Empty reports whether no selector was given.
func (s Selector) Empty() bool { return s == Selector{} }

// String renders the selector as the flags that give it.
func (s Selector) String() string {
	var parts []string
	if s.PodIP != "" {
		parts = append(parts, "--pod-ip "+s.PodIP)
	}
	if s.Pod != "" {
		parts = append(parts, "--pod "+s.Pod)
	}
	if s.PodUID != "" {
		parts = append(parts, "--pod-uid "+s.PodUID)
	}
	if s.PID != 0 {
		parts = append(parts, "--pid "+strconv.Itoa(s.PID))
	}
	if s.NetNS != "" {
		parts = append(parts, "--netns "+s.NetNS)
	}
	return strings.Join(parts, " ")
}

// Validate checks the selector's syntax without looking at the node: an IP
// that is not an IP, a malformed name or a negative PID wrap ErrBadSelector.
func (s Selector) Validate() error {
	if s.PodIP != "" {
		if _, err := netip.ParseAddr(strings.TrimSpace(s.PodIP)); err != nil {
			return fmt.Errorf("%w: --pod-ip %q is not an IP address", ErrBadSelector, s.PodIP)
		}
	}
	if s.Pod != "" {
		ns, name, hasNS := strings.Cut(s.Pod, "/")
		if !hasNS {
			name = ns
		}
		if name == "" || strings.Contains(name, "/") || hasNS && ns == "" {
			return fmt.Errorf("%w: --pod %q: want NAMESPACE/NAME or NAME", ErrBadSelector, s.Pod)
		}
	}
	if s.PID < 0 {
		return fmt.Errorf("%w: --pid %d is not a process ID", ErrBadSelector, s.PID)
	}
	return nil
}

// maxSuggestions bounds the "closest matches" of an error.
const maxSuggestions = 5

// Resolve returns the one pod the selector names. An unknown selector wraps
// ErrNoPod, an ambiguous one ErrAmbiguous, a malformed one ErrBadSelector; each
// error lists the closest matches.
func (inv *Inventory) Resolve(s Selector) (*Pod, error) {
	if s.Empty() {
		return nil, fmt.Errorf("%w: give --pod-ip, --pod, --pod-uid, --pid or --netns", ErrBadSelector)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	cand := make([]int, len(inv.Pods))
	for i := range cand {
		cand[i] = i
	}
	var hint func() []string // closest matches for the first constraint that emptied the set
	keep := func(match func(*Pod) bool, closest func() []string) {
		if len(cand) == 0 {
			return
		}
		var out []int
		for _, i := range cand {
			if match(&inv.Pods[i]) {
				out = append(out, i)
			}
		}
		if len(out) == 0 && hint == nil {
			hint = closest
		}
		cand = out
	}

	if s.PodIP != "" {
		ip, _ := netip.ParseAddr(strings.TrimSpace(s.PodIP))
		ip = ip.Unmap()
		keep(func(p *Pod) bool { return hasIP(p, ip) }, func() []string { return inv.closestByIP(ip) })
	}
	if s.Pod != "" {
		ns, name, hasNS := strings.Cut(s.Pod, "/")
		if !hasNS {
			ns, name = "", s.Pod
		}
		keep(func(p *Pod) bool { return p.Name == name && (!hasNS || p.Namespace == ns) },
			func() []string { return inv.closestByName(ns, name) })
	}
	if s.PodUID != "" {
		uid := strings.ToLower(strings.TrimSpace(s.PodUID))
		keep(func(p *Pod) bool { return p.UID != "" && strings.ToLower(p.UID) == uid },
			func() []string { return inv.closestByUID(uid) })
	}
	if s.PID != 0 {
		owner := inv.podOfPID(s.PID)
		keep(func(p *Pod) bool { return p == owner }, func() []string { return nil })
		if owner == nil {
			return nil, fmt.Errorf("%w: process %d runs in no pod this node knows; see `netdiag pods`", ErrNoPod, s.PID)
		}
	}
	if s.NetNS != "" {
		ns, err := nsutil.Open(s.NetNS)
		if err != nil {
			return nil, fmt.Errorf("%w: --netns: %w", ErrBadSelector, err)
		}
		ref := NetNSRef{Inode: ns.ID().Ino, Dev: ns.ID().Dev, Path: s.NetNS}
		ns.Close()
		if ref.Same(inv.NodeNetNS) && !s.onlyNetNS() {
			// The node netns holds every host-network pod; other selectors decide.
		} else {
			keep(func(p *Pod) bool { return p.NetNS.Same(ref) }, func() []string { return inv.closestByName("", "") })
		}
	}

	switch len(cand) {
	case 1:
		return &inv.Pods[cand[0]], nil
	case 0:
		var sugg []string
		if hint != nil {
			sugg = hint()
		}
		return nil, fmt.Errorf("%w matches %s%s", ErrNoPod, s, suggest("closest", sugg))
	}
	names := make([]string, 0, len(cand))
	for _, i := range cand {
		names = append(names, describe(&inv.Pods[i]))
	}
	sort.Strings(names)
	return nil, fmt.Errorf("%w: %s matches %d pods%s", ErrAmbiguous, s, len(cand), suggest("give NAMESPACE/NAME or another selector", names))
}

func (s Selector) onlyNetNS() bool { return s == Selector{NetNS: s.NetNS} }

func suggest(what string, list []string) string {
	if len(list) == 0 {
		return ""
	}
	more := ""
	if len(list) > maxSuggestions {
		more = fmt.Sprintf(", and %d more", len(list)-maxSuggestions)
		list = list[:maxSuggestions]
	}
	return "; " + what + ": " + strings.Join(list, ", ") + more
}

// describe names a pod with its first IP, for suggestions.
func describe(p *Pod) string {
	s := p.FullName()
	if len(p.IPs) > 0 && !strings.HasSuffix(s, p.IPs[0]) {
		s += " (" + p.IPs[0] + ")"
	}
	return s
}

func hasIP(p *Pod, ip netip.Addr) bool {
	for _, s := range p.IPs {
		if a, err := netip.ParseAddr(s); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}

// closestByIP lists pods whose IPs share the longest prefix with ip.
func (inv *Inventory) closestByIP(ip netip.Addr) []string {
	type scored struct {
		s     string
		score int
	}
	var all []scored
	for i := range inv.Pods {
		p := &inv.Pods[i]
		best := -1
		for _, s := range p.IPs {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Is4() != ip.Is4() {
				continue
			}
			if n := commonPrefix(a.AsSlice(), ip.AsSlice()); n > best {
				best = n
			}
		}
		if best >= 0 {
			all = append(all, scored{describe(p), best})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].s < all[j].s
	})
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = a.s
	}
	return out
}

func commonPrefix(a, b []byte) int {
	n := 0
	for i := range a {
		x := a[i] ^ b[i]
		if x == 0 {
			n += 8
			continue
		}
		for x&0x80 == 0 {
			n++
			x <<= 1
		}
		break
	}
	return n
}

// closestByName lists pods by edit distance of their name to name (and of the
// namespace, when given).
func (inv *Inventory) closestByName(ns, name string) []string {
	type scored struct {
		s     string
		score int
	}
	var all []scored
	for i := range inv.Pods {
		p := &inv.Pods[i]
		d := editDistance(name, p.Name)
		if strings.Contains(p.Name, name) || strings.Contains(name, p.Name) && p.Name != "" {
			d /= 2
		}
		if ns != "" && p.Namespace != ns {
			d += 1 + editDistance(ns, p.Namespace)/2
		}
		all = append(all, scored{describe(p), d})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score < all[j].score
		}
		return all[i].s < all[j].s
	})
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = a.s
	}
	return out
}

// closestByUID lists pods whose UID shares the longest prefix with uid.
func (inv *Inventory) closestByUID(uid string) []string {
	type scored struct {
		s     string
		score int
	}
	var all []scored
	for i := range inv.Pods {
		p := &inv.Pods[i]
		if p.UID == "" {
			continue
		}
		u := strings.ToLower(p.UID)
		n := 0
		for n < len(u) && n < len(uid) && u[n] == uid[n] {
			n++
		}
		all = append(all, scored{p.UID + " " + p.FullName(), n})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].s < all[j].s
	})
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = a.s
	}
	return out
}

func editDistance(a, b string) int {
	if len(a) > 64 {
		a = a[:64]
	}
	if len(b) > 64 {
		b = b[:64]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// podOfPID finds the pod a process belongs to: by the pod's own PIDs, by the
// process's cgroup, or else by its netns.
func (inv *Inventory) podOfPID(pid int) *Pod {
	for i := range inv.Pods {
		p := &inv.Pods[i]
		if p.PID == pid {
			return p
		}
		for _, c := range p.Containers {
			for _, q := range c.PIDs {
				if q == pid {
					return p
				}
			}
		}
	}
	for _, pr := range inv.Processes {
		if pr.PID != pid || pr.PodUID == "" {
			continue
		}
		for i := range inv.Pods {
			if strings.EqualFold(inv.Pods[i].UID, pr.PodUID) {
				return &inv.Pods[i]
			}
		}
	}
	// A process started into the pod's netns from outside (nsenter) has no pod
	// cgroup; its netns still names the pod unless that is the node's.
	ref, err := statNetNS("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil || ref.Same(inv.NodeNetNS) {
		return nil
	}
	var found *Pod
	for i := range inv.Pods {
		if inv.Pods[i].NetNS.Same(ref) {
			if found != nil {
				return nil
			}
			found = &inv.Pods[i]
		}
	}
	return found
}

// statNetNS identifies the namespace a path names.
func statNetNS(path string) (NetNSRef, error) {
	id, err := nsutil.StatID(path)
	if err != nil {
		return NetNSRef{}, err
	}
	return NetNSRef{Inode: id.Ino, Dev: id.Dev, Path: path}, nil
}
