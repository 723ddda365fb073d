package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criTimeout bounds every CRI call: a hung runtime must not hang netdiag.
const criTimeout = 2 * time.Second

// criSockets are the usual CRI sockets, relative to the host root.
var criSockets = []string{
	"run/containerd/containerd.sock",
	"var/run/containerd/containerd.sock",
	"run/crio/crio.sock",
	"var/run/crio/crio.sock",
	"run/cri-dockerd.sock",
	"var/run/cri-dockerd.sock",
	"run/k3s/containerd/containerd.sock",
}

// criEndpoints returns the sockets to try: the one given ("unix:///PATH" or
// PATH; looked up under hostRoot too), or every usual socket that exists.
func criEndpoints(endpoint, hostRoot string) ([]string, error) {
	if endpoint != "" {
		path, ok := strings.CutPrefix(endpoint, "unix://")
		if !ok && strings.Contains(endpoint, "://") {
			return nil, fmt.Errorf("runtime endpoint %q: only unix:// sockets are supported", endpoint)
		}
		if _, err := os.Stat(path); err != nil && hostRoot != "" && hostRoot != "/" {
			if _, err2 := os.Stat(filepath.Join(hostRoot, path)); err2 == nil {
				path = filepath.Join(hostRoot, path)
			}
		}
		return []string{path}, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range criSockets {
		p := filepath.Join(hostRoot, s)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode()&os.ModeSocket == 0 {
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			real = p
		}
		if !seen[real] {
			seen[real] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// loadCRI lists the pod sandboxes and containers of one CRI runtime.
// ContainerStatus (one call per container) is asked only for running
// containers that hasProcs, when given, says no process cgroup names: the
// cgroup scan already has the PIDs of the others, and on a busy node those
// calls would dominate.
func loadCRI(ctx context.Context, socket string, hasProcs func(containerID string) bool) ([]runtimePod, string, error) {
	conn, err := grpc.NewClient("unix://"+socket,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		return nil, "", fmt.Errorf("connect to CRI %s: %w", socket, err)
	}
	defer conn.Close()
	rs := cri.NewRuntimeServiceClient(conn)

	call := func(f func(context.Context) error) error {
		c, cancel := context.WithTimeout(ctx, criTimeout)
		defer cancel()
		return f(c)
	}
	var ver *cri.VersionResponse
	if err := call(func(c context.Context) (err error) {
		ver, err = rs.Version(c, &cri.VersionRequest{})
		return err
	}); err != nil {
		return nil, "", criError(socket, "get version", err)
	}
	runtimeName := strings.TrimSpace(ver.RuntimeName + " " + ver.RuntimeVersion)

	var sandboxes []*cri.PodSandbox
	if err := call(func(c context.Context) error {
		r, err := rs.ListPodSandbox(c, &cri.ListPodSandboxRequest{})
		if r != nil {
			sandboxes = r.Items
		}
		return err
	}); err != nil {
		return nil, runtimeName, criError(socket, "list pod sandboxes", err)
	}
	var containers []*cri.Container
	if err := call(func(c context.Context) error {
		r, err := rs.ListContainers(c, &cri.ListContainersRequest{})
		if r != nil {
			containers = r.Containers
		}
		return err
	}); err != nil {
		return nil, runtimeName, criError(socket, "list containers", err)
	}

	pods := make([]runtimePod, len(sandboxes))
	index := map[string]int{}
	for i, sb := range sandboxes {
		p := runtimePod{Source: SourceCRI, SandboxID: sb.Id, CreatedAt: sb.CreatedAt, State: sandboxState(sb.State)}
		if m := sb.Metadata; m != nil {
			p.Namespace, p.Name, p.UID = m.Namespace, m.Name, m.Uid
		}
		pods[i] = p
		index[sb.Id] = i
	}
	for _, c := range containers {
		i, ok := index[c.PodSandboxId]
		if !ok {
			continue
		}
		ct := Container{ID: c.Id, State: containerState(c.State)}
		if c.Metadata != nil {
			ct.Name = c.Metadata.Name
		}
		pods[i].Containers = append(pods[i].Containers, ct)
	}

	// Statuses, a few at a time: one slow sandbox must not serialise the rest.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 8)
	)
	for i := range pods {
		p := &pods[i]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var st *cri.PodSandboxStatusResponse
			err := call(func(c context.Context) (err error) {
				st, err = rs.PodSandboxStatus(c, &cri.PodSandboxStatusRequest{PodSandboxId: p.SandboxID, Verbose: true})
				return err
			})
			if err != nil {
				if status.Code(err) != codes.NotFound { // removed meanwhile
					mu.Lock()
					errs = append(errs, criError(socket, "get status of sandbox "+short(p.SandboxID), err))
					mu.Unlock()
				}
				return
			}
			applySandboxStatus(p, st)
		}()
	}
	wg.Wait()
	for i := range pods {
		p := &pods[i]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for j := range p.Containers {
				ct := &p.Containers[j]
				if ct.State != "running" || hasProcs != nil && hasProcs(ct.ID) {
					continue
				}
				var cs *cri.ContainerStatusResponse
				if err := call(func(c context.Context) (err error) {
					cs, err = rs.ContainerStatus(c, &cri.ContainerStatusRequest{ContainerId: ct.ID, Verbose: true})
					return err
				}); err != nil {
					continue
				}
				if pid, _, err := parseCRIInfo(cs.Info); err == nil && pid > 0 {
					ct.PIDs = []int{pid}
				}
			}
		}()
	}
	wg.Wait()
	for i := range pods {
		sort.Slice(pods[i].Containers, func(a, b int) bool { return pods[i].Containers[a].Name < pods[i].Containers[b].Name })
	}
	return pods, runtimeName, errors.Join(errs...)
}

// applySandboxStatus copies IPs, network mode, pid and netns path from a
// verbose PodSandboxStatus.
func applySandboxStatus(p *runtimePod, st *cri.PodSandboxStatusResponse) {
	if s := st.Status; s != nil {
		if n := s.Network; n != nil {
			if n.Ip != "" {
				p.IPs = append(p.IPs, n.Ip)
			}
			for _, a := range n.AdditionalIps {
				if a != nil && a.Ip != "" {
					p.IPs = append(p.IPs, a.Ip)
				}
			}
		}
		if l := s.Linux; l != nil && l.Namespaces != nil && l.Namespaces.Options != nil {
			p.HostNetwork = l.Namespaces.Options.Network == cri.NamespaceMode_NODE
		}
		p.State = sandboxState(s.State)
	}
	if pid, netns, err := parseCRIInfo(st.Info); err == nil {
		p.PID, p.NetNSPath = pid, netns
	}
}

// criInfo is the part of the verbose "info" JSON that containerd
// (pkg/cri/server SandboxInfo, ContainerInfo) and CRI-O both provide.
type criInfo struct {
	PID         int `json:"pid"`
	RuntimeSpec *struct {
		Linux *struct {
			Namespaces []struct {
				Type string `json:"type"`
				Path string `json:"path"`
			} `json:"namespaces"`
		} `json:"linux"`
	} `json:"runtimeSpec"`
}

// parseCRIInfo reads pid and the network namespace path from the "info" key
// of a verbose status. The path is "" for a host-network sandbox.
func parseCRIInfo(info map[string]string) (pid int, netnsPath string, err error) {
	raw, ok := info["info"]
	if !ok {
		return 0, "", fmt.Errorf("parse CRI info: no \"info\" key (runtime gives no verbose info)")
	}
	var ci criInfo
	if err := json.Unmarshal([]byte(raw), &ci); err != nil {
		return 0, "", fmt.Errorf("parse CRI info: %w", err)
	}
	if ci.PID < 0 {
		return 0, "", fmt.Errorf("parse CRI info: negative pid %d", ci.PID)
	}
	if ci.RuntimeSpec != nil && ci.RuntimeSpec.Linux != nil {
		for _, ns := range ci.RuntimeSpec.Linux.Namespaces {
			if ns.Type == "network" {
				netnsPath = ns.Path
			}
		}
	}
	return ci.PID, netnsPath, nil
}

func sandboxState(s cri.PodSandboxState) string {
	switch s {
	case cri.PodSandboxState_SANDBOX_READY:
		return "ready"
	case cri.PodSandboxState_SANDBOX_NOTREADY:
		return "notready"
	}
	return "unknown"
}

func containerState(s cri.ContainerState) string {
	switch s {
	case cri.ContainerState_CONTAINER_CREATED:
		return "created"
	case cri.ContainerState_CONTAINER_RUNNING:
		return "running"
	case cri.ContainerState_CONTAINER_EXITED:
		return "exited"
	}
	return "unknown"
}

// criError turns gRPC failures into a sentence that says what to check.
func criError(socket, what string, err error) error {
	switch status.Code(err) {
	case codes.Unavailable:
		return fmt.Errorf("CRI %s: %s: runtime not answering (is it running? is the socket right? --runtime-endpoint overrides): %w", socket, what, err)
	case codes.Unimplemented:
		return fmt.Errorf("CRI %s: %s: the socket does not serve CRI v1 (containerd without its CRI plugin?): %w", socket, what, err)
	case codes.DeadlineExceeded:
		return fmt.Errorf("CRI %s: %s: no answer within %s: %w", socket, what, criTimeout, err)
	case codes.PermissionDenied:
		return fmt.Errorf("CRI %s: %s: permission denied: run as root: %w", socket, what, err)
	}
	return fmt.Errorf("CRI %s: %s: %w", socket, what, err)
}

func short(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}
