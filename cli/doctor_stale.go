package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/netdiag/netdiag/checks"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/stale"
)

func init() { doctorHooks.stale = doctorStale }

// doctorStale runs the stale-container scan for the doctor's
// stale-container check.
func doctorStale(askedAt uint64, hostRoot string) func(ctx context.Context, inv *node.Inventory, pod *node.Pod) ([]checks.StaleProcess, error) {
	return func(ctx context.Context, inv *node.Inventory, pod *node.Pod) ([]checks.StaleProcess, error) {
		res, err := stale.Scan(inv, stale.Options{HostRoot: hostRoot, Pod: pod, AskedAt: askedAt})
		if err != nil {
			return nil, err
		}
		out := []checks.StaleProcess{}
		for _, g := range res.Stale {
			sp := checks.StaleProcess{Pod: g.Namespace + "/" + g.Pod, ContainerID: g.ContainerID, PIDs: g.PIDs, Reason: g.Reason}
			if g.Pod == "" {
				sp.Pod = "pod " + g.PodUID
			}
			if g.Detail != "" {
				sp.Reason += ": " + g.Detail
			}
			for _, l := range g.Listening {
				sp.Listening = append(sp.Listening, fmt.Sprintf("%s %s:%d", l.Proto, strings.Trim(l.Address, "[]"), l.Port))
			}
			out = append(out, sp)
		}
		return out, nil
	}
}
