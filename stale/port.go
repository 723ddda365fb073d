package stale

import (
	"sort"

	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/sockdiag"
)

// Holder is a process that holds a port in a pod's netns.
type Holder struct {
	Namespace     string `json:"namespace"`
	Pod           string `json:"pod"`
	PodUID        string `json:"podUid"`
	ContainerID   string `json:"containerId"`
	ContainerName string `json:"containerName,omitempty"`
	// RuntimeKnows says whether the runtime (or, when it could not be asked,
	// its task state) holds the container.
	RuntimeKnows bool `json:"runtimeKnows"`
	// ContainerState is the runtime's word: running, exited, created,
	// "sandbox", not-in-runtime; "" when nobody could tell.
	ContainerState string `json:"containerState"`
	PID            int    `json:"pid"`
	Cmdline        string `json:"cmdline"`
	StartTime      uint64 `json:"startTime"`
	Proto          string `json:"proto"`
	Address        string `json:"address"`
	Port           int    `json:"port"`
	Stale          bool   `json:"stale"`
	Reason         string `json:"reason,omitempty"`
}

// PortResult is what Holders found.
type PortResult struct {
	Port         int      `json:"port"`
	Holders      []Holder `json:"holders"`
	RuntimeAsked bool     `json:"runtimeAsked"`
	Warnings     []string `json:"warnings"`
}

// Holders answers "who holds this port in the pod's netns, and does the
// runtime know it": every process with a TCP listener or bound UDP socket on
// port in the netns of each pod of the scan, stale or not. Without a runtime
// or its task state, holders are still listed, unjudged.
func Holders(inv *node.Inventory, opts Options, port int) (*PortResult, error) {
	j, err := judge(inv, opts, false)
	if err != nil {
		return nil, err
	}
	res := &PortResult{Port: port, Holders: []Holder{}, RuntimeAsked: j.runtimeAsked, Warnings: j.warnings}
	unjudged := !j.runtimeAsked && !j.tasks.usable()
	if unjudged {
		res.Warnings = append(res.Warnings, ErrNoRuntimeState.Error())
	}

	// The pod netns with processes, and their verdicts.
	byNetNS := map[uint64][]*verdict{}
	var order []uint64
	for i := range j.verdicts {
		v := &j.verdicts[i]
		if byNetNS[v.proc.NetNS] == nil {
			order = append(order, v.proc.NetNS)
		}
		byNetNS[v.proc.NetNS] = append(byNetNS[v.proc.NetNS], v)
	}
	lk := newSocketLookup(j.opts.ProcRoot)
	var allOwners map[uint32][]sockdiag.Process
	for _, ino := range order {
		vs := byNetNS[ino]
		socks, err := lk.sockets(vs[0].proc.PID, ino)
		if err != nil {
			res.Warnings = append(res.Warnings, err.Error())
			continue
		}
		var want []sockdiag.Socket
		for _, s := range socks {
			if int(s.Local.Port()) == port {
				want = append(want, s)
			}
		}
		if len(want) == 0 {
			continue
		}
		held := map[uint32][]*verdict{}
		for _, v := range vs {
			for ino := range socketInodes(j.opts.ProcRoot, v.proc.PID) {
				held[ino] = append(held[ino], v)
			}
		}
		pod := vs[0].pod
		for _, s := range want {
			if hs := held[s.Inode]; len(hs) > 0 {
				for _, v := range hs {
					h := holderOf(v, s, unjudged)
					h.Cmdline = cmdline(j.opts.ProcRoot, v.proc)
					res.Holders = append(res.Holders, h)
				}
				continue
			}
			// Held by a process outside the pod (fd passing, setns): find it.
			if allOwners == nil {
				allOwners = sockdiag.Owners(j.opts.ProcRoot)
			}
			for _, o := range allOwners[s.Inode] {
				h := Holder{Namespace: pod.namespace, Pod: pod.name, PodUID: pod.uid, PID: o.PID, Cmdline: o.Command,
					Proto: s.Netid, Address: s.Local.Addr().String(), Port: port, Stale: true, Reason: ReasonNoContainer}
				res.Holders = append(res.Holders, h)
			}
		}
	}
	sort.SliceStable(res.Holders, func(a, b int) bool {
		x, y := &res.Holders[a], &res.Holders[b]
		if x.Namespace != y.Namespace {
			return x.Namespace < y.Namespace
		}
		if x.Pod != y.Pod {
			return x.Pod < y.Pod
		}
		return x.PID < y.PID
	})
	return res, nil
}

func holderOf(v *verdict, s sockdiag.Socket, unjudged bool) Holder {
	h := Holder{
		Namespace: v.pod.namespace, Pod: v.pod.name, PodUID: v.pod.uid,
		ContainerID: v.proc.Container, ContainerName: v.pod.names[v.proc.Container],
		RuntimeKnows: v.known, ContainerState: v.state,
		PID: v.proc.PID, StartTime: v.proc.StartTime,
		Proto: s.Netid, Address: s.Local.Addr().String(), Port: int(s.Local.Port()),
	}
	if !unjudged && v.reason != "" {
		h.Stale, h.Reason = true, v.reason
	}
	return h
}
