package stale

import (
	"fmt"
	"strconv"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/sockdiag"
)

// socketLookup lists the listening sockets of each netns once.
type socketLookup struct {
	procRoot string
	byNetNS  map[uint64][]sockdiag.Socket
	failed   map[uint64]bool
}

func newSocketLookup(procRoot string) *socketLookup {
	return &socketLookup{procRoot: procRoot, byNetNS: map[uint64][]sockdiag.Socket{}, failed: map[uint64]bool{}}
}

// sockets returns the listening sockets of the netns process pid is in.
func (l *socketLookup) sockets(pid int, netns uint64) ([]sockdiag.Socket, error) {
	if s, ok := l.byNetNS[netns]; ok {
		return s, nil
	}
	if l.failed[netns] {
		return nil, nil
	}
	ns, err := nsutil.Open(l.procRoot + "/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		l.failed[netns] = true
		return nil, fmt.Errorf("list sockets of process %d: %w", pid, err)
	}
	defer ns.Close()
	if netns != 0 && ns.ID().Ino != netns {
		return nil, nil // moved or recycled since the scan
	}
	socks, err := sockdiag.List(ns, sockdiag.Filter{Listening: true, NoProcesses: true})
	if err != nil {
		l.failed[netns] = true
		return nil, fmt.Errorf("list sockets of process %d: %w", pid, err)
	}
	keep := socks[:0]
	for _, s := range socks {
		if isListening(s) {
			keep = append(keep, s)
		}
	}
	l.byNetNS[netns] = keep
	return keep, nil
}

// isListening keeps TCP listeners and bound UDP sockets, what `ss -ltu` shows.
func isListening(s sockdiag.Socket) bool {
	switch s.Netid {
	case "tcp":
		return s.State == "LISTEN"
	case "udp":
		return s.Local.Port() != 0
	}
	return false
}

// listening returns the listening sockets process pid holds in its netns.
func (l *socketLookup) listening(pid int, netns uint64) ([]Listener, error) {
	held := socketInodes(l.procRoot, pid)
	if len(held) == 0 {
		return nil, nil
	}
	socks, err := l.sockets(pid, netns)
	if err != nil {
		return nil, err
	}
	var out []Listener
	for _, s := range socks {
		if held[s.Inode] {
			out = append(out, listenerOf(s, pid))
		}
	}
	return out, nil
}

func listenerOf(s sockdiag.Socket, pid int) Listener {
	return Listener{Proto: s.Netid, Address: s.Local.Addr().String(), Port: int(s.Local.Port()), PID: pid}
}
