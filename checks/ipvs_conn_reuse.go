package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/snapshot"

	"github.com/netdiag/netdiag/kubeproxy"
)

// kernelBefore reports whether release (uname -r) is older than major.minor.
func kernelBefore(release string, major, minor int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	a, err1 := strconv.Atoi(parts[0])
	b, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return a < major || (a == major && b < minor)
}

func init() {
	register(Check{
		ID:    "ipvs-conn-reuse",
		Title: "IPVS does not delay reused client ports",
		Needs: []snapshot.Part{snapshot.PartSysctls, snapshot.PartServices},
		Run: func(s *snapshot.Snapshot) []Finding {
			if s.ServiceMode != kubeproxy.ModeIPVS || len(s.Services) == 0 {
				return nil
			}
			v, ok := s.Node.Sysctl("net.ipv4.vs.conn_reuse_mode")
			if !ok || v != "1" || !kernelBefore(s.KernelRelease, 5, 9) {
				return nil
			}
			return []Finding{{
				Severity: Warn,
				Summary:  fmt.Sprintf("IPVS serves %d service ports with conn_reuse_mode=1 on kernel %s: connections reusing a client port wait 1 s", len(s.Services), s.KernelRelease),
				Evidence: map[string]any{"net.ipv4.vs.conn_reuse_mode": v, "net.ipv4.vs.expire_nodest_conn": s.Node.Sysctls["net.ipv4.vs.expire_nodest_conn"], "kernel": s.KernelRelease},
				Fix:      []string{"upgrade the kernel to 5.9 or newer", "or run kube-proxy in iptables or nftables mode"},
				Object:   nodeObject(s),
			}}
		},
	})
}
