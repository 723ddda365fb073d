package main

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/netdiag/netdiag/cmd/kubectl-netdiag/fleet"
)

// globalFlags are kubectl's connection flags and the fleet's own.
func globalFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "kubeconfig", Usage: "path of the kubeconfig `FILE` (default: $KUBECONFIG, ~/.kube/config)"},
		&ucli.StringFlag{Name: "context", Usage: "the kubeconfig context to use"},
		&ucli.StringFlag{Name: "cluster", Usage: "the kubeconfig cluster to use"},
		&ucli.StringFlag{Name: "user", Usage: "the kubeconfig user to use"},
		&ucli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace of the carrier pods (needs PodSecurity privileged); for capture also of -l"},
		&ucli.StringFlag{Name: "as", Usage: "user to impersonate"},
		&ucli.StringSliceFlag{Name: "as-group", Usage: "group to impersonate (repeatable)"},
		&ucli.StringFlag{Name: "request-timeout", Usage: "time to wait for one API request (e.g. 30s); 0: no limit"},
		&ucli.StringSliceFlag{Name: "node-binary", Usage: "netdiag binary for the nodes (`PATH`, repeatable, one per architecture; default: netdiag-linux-ARCH beside kubectl-netdiag)"},
		&ucli.StringFlag{Name: "carrier-image", Usage: "run the carrier pods on this `IMAGE` only (it must be on the nodes and have sh and cat)"},
		&ucli.DurationFlag{Name: "deadline", Value: 15 * time.Minute, Usage: "after this, Kubernetes removes the carrier pods whatever happens here"},
		&ucli.DurationFlag{Name: "start-timeout", Value: 60 * time.Second, Usage: "time one carrier pod may take to start before the next image is tried"},
		&ucli.IntFlag{Name: "parallel", Value: 16, Usage: "nodes worked on at once"},
		&ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say what is done on each node"},
	}
}

// nodeFlags select the nodes of doctor and bundle.
func nodeFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringSliceFlag{Name: "nodes", Usage: "these nodes (`A,B`, repeatable)"},
		&ucli.StringFlag{Name: "selector", Aliases: []string{"l"}, Usage: "the nodes with these labels"},
		&ucli.BoolFlag{Name: "all-nodes", Usage: "every node"},
	}
}

func nodeSelection(c *ucli.Context) (fleet.NodeSelection, error) {
	var names []string
	for _, v := range c.StringSlice("nodes") {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	sel := fleet.NodeSelection{Names: names, Selector: c.String("selector"), All: c.Bool("all-nodes")}
	given := 0
	for _, b := range []bool{len(names) > 0, sel.Selector != "", sel.All} {
		if b {
			given++
		}
	}
	if given != 1 {
		return sel, usageErrorf("choose the nodes with one of --nodes A,B, -l SELECTOR or --all-nodes")
	}
	return sel, nil
}

// kube is the cluster connection the global flags describe.
type kube struct {
	rest      *rest.Config
	namespace string
}

func kubeOf(c *ucli.Context) (*kube, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.String("kubeconfig")
	o := &clientcmd.ConfigOverrides{}
	o.CurrentContext = c.String("context")
	o.Context.Cluster = c.String("cluster")
	o.Context.AuthInfo = c.String("user")
	o.Context.Namespace = c.String("namespace")
	o.AuthInfo.Impersonate = c.String("as")
	o.AuthInfo.ImpersonateGroups = c.StringSlice("as-group")
	o.Timeout = c.String("request-timeout")
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, o)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg.UserAgent = "kubectl-netdiag/" + Version
	// Many nodes at once: kubectl's own rate is too low for --parallel 16.
	cfg.QPS, cfg.Burst = 50, 100
	return &kube{rest: cfg, namespace: ns}, nil
}

// nodeBinaries finds the netdiag binary of each architecture: the
// --node-binary files (their ELF header says the architecture), else
// netdiag-linux-ARCH beside this executable, as `make release` names them.
func nodeBinaries(c *ucli.Context) (map[string]string, error) {
	bins := map[string]string{}
	for _, p := range c.StringSlice("node-binary") {
		arch, err := elfArch(p)
		if err != nil {
			return nil, usageErrorf("--node-binary %s: %v", p, err)
		}
		bins[arch] = p
	}
	if len(bins) > 0 {
		return bins, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find kubectl-netdiag's own path: %w", err)
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	for _, arch := range []string{"amd64", "arm64"} {
		p := filepath.Join(filepath.Dir(self), "netdiag-linux-"+arch)
		if a, err := elfArch(p); err == nil && a == arch {
			bins[arch] = p
		}
	}
	// `make plugin` leaves kubectl-netdiag beside `make`'s ./netdiag.
	if p := filepath.Join(filepath.Dir(self), "netdiag"); len(bins) == 0 {
		if a, err := elfArch(p); err == nil {
			bins[a] = p
		}
	}
	if len(bins) == 0 {
		return nil, fmt.Errorf("no netdiag node binary: put netdiag-linux-amd64 (and -arm64) from `make release` beside %s, or give --node-binary PATH", self)
	}
	return bins, nil
}

func elfArch(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("not a Linux binary: %w", err)
	}
	defer f.Close()
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64", nil
	case elf.EM_AARCH64:
		return "arm64", nil
	}
	return "", fmt.Errorf("a Linux binary for %v, not amd64 or arm64", f.Machine)
}

// session opens a fleet session from the global flags; close it with
// closeSession.
func session(c *ucli.Context, k *kube) (*fleet.Session, error) {
	if c.Int("parallel") < 1 {
		return nil, usageErrorf("--parallel must be at least 1")
	}
	if c.Duration("deadline") < 10*time.Second {
		return nil, usageErrorf("--deadline must be at least 10s")
	}
	bins, err := nodeBinaries(c)
	if err != nil {
		return nil, err
	}
	stderr := c.App.ErrWriter
	s, err := fleet.NewSession(c.Context, fleet.Config{
		REST:         k.rest,
		Namespace:    k.namespace,
		Deadline:     c.Duration("deadline"),
		CarrierImage: c.String("carrier-image"),
		NodeBinaries: bins,
		StartTimeout: c.Duration("start-timeout"),
		Logf:         func(f string, a ...any) { fmt.Fprintf(stderr, "kubectl-netdiag: "+f+"\n", a...) },
	})
	if err != nil {
		return nil, err
	}
	verbosef(c, "session %s in namespace %s", s.ID, k.namespace)
	return s, nil
}

// closeSession removes the session's pods, also after an interrupt.
func closeSession(c *ucli.Context, s *fleet.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		fmt.Fprintf(c.App.ErrWriter, "kubectl-netdiag: remove session %s: %v: run 'kubectl netdiag cleanup'\n", s.ID, err)
	}
}

func verbosef(c *ucli.Context, format string, args ...any) {
	if c.Bool("verbose") {
		fmt.Fprintf(c.App.ErrWriter, "kubectl-netdiag: "+format+"\n", args...)
	}
}
