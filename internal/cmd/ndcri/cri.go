package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// DefaultImage is the name image-build gives the busybox image and the image
// pods and containers use unless told otherwise.
const DefaultImage = "docker.io/netdiag/busybox:local"

// Labels kubelet puts on sandboxes and containers; netdiag filters on them.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

type client struct {
	conn *grpc.ClientConn
	rt   runtime.RuntimeServiceClient
}

func dial(endpoint string) (*client, error) {
	path := strings.TrimPrefix(endpoint, "unix://")
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("endpoint %q: want unix:///ABSOLUTE/PATH", endpoint)
	}
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", endpoint, err)
	}
	return &client{conn: conn, rt: runtime.NewRuntimeServiceClient(conn)}, nil
}

func (c *client) close() { _ = c.conn.Close() }

// waitReady polls Status until the runtime and its network (CNI) are ready.
func (c *client) waitReady(ctx context.Context) error {
	var last string
	for {
		resp, err := c.rt.Status(ctx, &runtime.StatusRequest{})
		if err == nil {
			ready := 0
			last = ""
			for _, cond := range resp.GetStatus().GetConditions() {
				if cond.Status {
					ready++
				} else {
					last += fmt.Sprintf("%s: %s %s; ", cond.Type, cond.Reason, cond.Message)
				}
			}
			if ready > 0 && last == "" {
				return nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for runtime: %v (last: %s)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Pod is one sandbox as the tests see it.
type Pod struct {
	SandboxID  string      `json:"sandboxId"`
	Namespace  string      `json:"namespace"`
	Name       string      `json:"name"`
	UID        string      `json:"uid"`
	State      string      `json:"state"`
	IP         string      `json:"ip"`
	PID        int         `json:"pid"`
	NetNS      string      `json:"netns"`
	Cgroup     string      `json:"cgroupParent,omitempty"`
	Containers []Container `json:"containers"`
}

// Container is one container as the tests see it.
type Container struct {
	ID           string `json:"id"`
	PodSandboxID string `json:"podSandboxId"`
	Name         string `json:"name"`
	Image        string `json:"image"`
	State        string `json:"state"`
	PID          int    `json:"pid"`
}

// sandboxInfo is the part of containerd's verbose PodSandboxStatus info we use.
type sandboxInfo struct {
	PID         int `json:"pid"`
	RuntimeSpec struct {
		Linux struct {
			Namespaces []struct {
				Type string `json:"type"`
				Path string `json:"path"`
			} `json:"namespaces"`
		} `json:"linux"`
	} `json:"runtimeSpec"`
	Config *runtime.PodSandboxConfig `json:"config"`
}

func (c *client) sandboxStatus(ctx context.Context, id string) (*runtime.PodSandboxStatus, *sandboxInfo, error) {
	resp, err := c.rt.PodSandboxStatus(ctx, &runtime.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
	if err != nil {
		return nil, nil, fmt.Errorf("pod sandbox status %s: %w", id, err)
	}
	info := &sandboxInfo{}
	if raw, ok := resp.GetInfo()["info"]; ok {
		if err := json.Unmarshal([]byte(raw), info); err != nil {
			return nil, nil, fmt.Errorf("parse sandbox %s info: %w", id, err)
		}
	}
	return resp.GetStatus(), info, nil
}

func (c *client) pod(ctx context.Context, id string) (Pod, error) {
	st, info, err := c.sandboxStatus(ctx, id)
	if err != nil {
		return Pod{}, err
	}
	p := Pod{
		SandboxID: id,
		Namespace: st.GetMetadata().GetNamespace(),
		Name:      st.GetMetadata().GetName(),
		UID:       st.GetMetadata().GetUid(),
		State:     stateName(st.GetState().String()),
		IP:        st.GetNetwork().GetIp(),
		PID:       info.PID,
	}
	for _, ns := range info.RuntimeSpec.Linux.Namespaces {
		if ns.Type == "network" {
			p.NetNS = ns.Path
		}
	}
	if info.Config != nil && info.Config.Linux != nil {
		p.Cgroup = info.Config.Linux.CgroupParent
	}
	p.Containers, err = c.listContainers(ctx, id)
	return p, err
}

func (c *client) listPods(ctx context.Context) ([]Pod, error) {
	resp, err := c.rt.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
	if err != nil {
		return nil, fmt.Errorf("list pod sandboxes: %w", err)
	}
	pods := []Pod{}
	for _, s := range resp.GetItems() {
		p, err := c.pod(ctx, s.Id)
		if err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Namespace+"/"+pods[i].Name < pods[j].Namespace+"/"+pods[j].Name })
	return pods, nil
}

func (c *client) listContainers(ctx context.Context, podID string) ([]Container, error) {
	req := &runtime.ListContainersRequest{}
	if podID != "" {
		req.Filter = &runtime.ContainerFilter{PodSandboxId: podID}
	}
	resp, err := c.rt.ListContainers(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := []Container{}
	for _, ct := range resp.GetContainers() {
		x := Container{
			ID:           ct.Id,
			PodSandboxID: ct.PodSandboxId,
			Name:         ct.GetMetadata().GetName(),
			Image:        ct.GetImage().GetImage(),
			State:        stateName(ct.State.String()),
		}
		if x.PID, err = c.containerPID(ctx, ct.Id); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (c *client) containerPID(ctx context.Context, id string) (int, error) {
	resp, err := c.rt.ContainerStatus(ctx, &runtime.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		return 0, fmt.Errorf("container status %s: %w", id, err)
	}
	var info struct {
		PID int `json:"pid"`
	}
	if raw, ok := resp.GetInfo()["info"]; ok {
		if err := json.Unmarshal([]byte(raw), &info); err != nil {
			return 0, fmt.Errorf("parse container %s info: %w", id, err)
		}
	}
	return info.PID, nil
}

// stateName turns SANDBOX_READY / CONTAINER_RUNNING into ready / running.
func stateName(s string) string {
	_, after, _ := strings.Cut(s, "_")
	return strings.ToLower(after)
}

func (c *client) cmdContainers(ctx context.Context, args []string) ([]Container, error) {
	fs := flag.NewFlagSet("containers", flag.ContinueOnError)
	pod := fs.String("pod", "", "only containers of this sandbox")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c.listContainers(ctx, *pod)
}

// podStatus is `crictl inspectp`: the status plus the runtime's verbose info,
// with JSON-in-string values decoded.
func (c *client) podStatus(ctx context.Context, id string) (map[string]any, error) {
	resp, err := c.rt.PodSandboxStatus(ctx, &runtime.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
	if err != nil {
		return nil, fmt.Errorf("pod sandbox status %s: %w", id, err)
	}
	out := map[string]any{"status": resp.GetStatus()}
	for k, v := range resp.GetInfo() {
		var x any
		if json.Unmarshal([]byte(v), &x) == nil {
			out[k] = x
		} else {
			out[k] = v
		}
	}
	return out, nil
}

func (c *client) cmdRunPod(ctx context.Context, args []string) (Pod, error) {
	fs := flag.NewFlagSet("run-pod", flag.ContinueOnError)
	name := fs.String("name", "", "pod name")
	ns := fs.String("namespace", "default", "pod namespace")
	uid := fs.String("uid", "", "pod UID")
	cgroup := fs.String("cgroup-parent", "", "cgroup parent, e.g. /kubepods/besteffort/pod<uid>")
	image := fs.String("image", DefaultImage, "image for the sandbox's container")
	ctrName := fs.String("container", "app", "container name")
	hostRoot := fs.String("host-root", "", "write kubelet-style files (var/log/pods, var/lib/kubelet) under this directory")
	if err := fs.Parse(args); err != nil {
		return Pod{}, err
	}
	if *name == "" || *uid == "" {
		return Pod{}, fmt.Errorf("run-pod needs -name and -uid: %w", errUsage)
	}
	labels := map[string]string{labelPodName: *name, labelPodNamespace: *ns, labelPodUID: *uid}
	cfg := &runtime.PodSandboxConfig{
		Metadata: &runtime.PodSandboxMetadata{Name: *name, Namespace: *ns, Uid: *uid},
		Hostname: *name,
		Labels:   labels,
		Linux: &runtime.LinuxPodSandboxConfig{
			CgroupParent: *cgroup,
			SecurityContext: &runtime.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtime.NamespaceOption{Network: runtime.NamespaceMode_POD, Pid: runtime.NamespaceMode_CONTAINER, Ipc: runtime.NamespaceMode_POD},
			},
		},
	}
	if *hostRoot != "" {
		cfg.LogDirectory = filepath.Join(*hostRoot, "var/log/pods", *ns+"_"+*name+"_"+*uid)
		if err := os.MkdirAll(cfg.LogDirectory, 0o755); err != nil {
			return Pod{}, err
		}
	}
	resp, err := c.rt.RunPodSandbox(ctx, &runtime.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		return Pod{}, fmt.Errorf("run pod sandbox %s/%s: %w", *ns, *name, err)
	}
	p, err := c.pod(ctx, resp.PodSandboxId)
	if err != nil {
		return Pod{}, err
	}
	if *hostRoot != "" {
		if err := writeEtcHosts(*hostRoot, *uid, p.IP, *name); err != nil {
			return Pod{}, err
		}
	}
	if _, err := c.createContainer(ctx, p.SandboxID, cfg, *ctrName, *image, fs.Args()); err != nil {
		return Pod{}, err
	}
	return c.pod(ctx, p.SandboxID)
}

// writeEtcHosts writes the file kubelet keeps for every pod.
func writeEtcHosts(hostRoot, uid, ip, hostname string) error {
	dir := filepath.Join(hostRoot, "var/lib/kubelet/pods", uid)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	content := "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n" +
		ip + "\t" + hostname + "\n"
	return os.WriteFile(filepath.Join(dir, "etc-hosts"), []byte(content), 0o644)
}

func (c *client) cmdCreateContainer(ctx context.Context, args []string) (Container, error) {
	fs := flag.NewFlagSet("create-container", flag.ContinueOnError)
	pod := fs.String("pod", "", "sandbox id")
	name := fs.String("name", "", "container name")
	image := fs.String("image", DefaultImage, "image")
	if err := fs.Parse(args); err != nil {
		return Container{}, err
	}
	if *pod == "" || *name == "" {
		return Container{}, fmt.Errorf("create-container needs -pod and -name: %w", errUsage)
	}
	st, info, err := c.sandboxStatus(ctx, *pod)
	if err != nil {
		return Container{}, err
	}
	cfg := info.Config
	if cfg == nil { // not containerd: rebuild what CreateContainer needs
		md := st.GetMetadata()
		cfg = &runtime.PodSandboxConfig{Metadata: md, Labels: st.GetLabels(), Annotations: st.GetAnnotations()}
	}
	return c.createContainer(ctx, *pod, cfg, *name, *image, fs.Args())
}

func (c *client) createContainer(ctx context.Context, podID string, sb *runtime.PodSandboxConfig, name, image string, cmd []string) (Container, error) {
	md := sb.GetMetadata()
	// A name used before in this pod gets the next attempt, as kubelet does
	// for restarts, so the log file and the runtime's name stay unique.
	var attempt uint32
	existing, err := c.rt.ListContainers(ctx, &runtime.ListContainersRequest{Filter: &runtime.ContainerFilter{PodSandboxId: podID}})
	if err != nil {
		return Container{}, fmt.Errorf("list containers: %w", err)
	}
	for _, ct := range existing.GetContainers() {
		if ct.GetMetadata().GetName() == name && ct.GetMetadata().GetAttempt() >= attempt {
			attempt = ct.GetMetadata().GetAttempt() + 1
		}
	}
	cfg := &runtime.ContainerConfig{
		Metadata: &runtime.ContainerMetadata{Name: name, Attempt: attempt},
		Image:    &runtime.ImageSpec{Image: image},
		Command:  cmd,
		Labels: map[string]string{
			labelPodName: md.GetName(), labelPodNamespace: md.GetNamespace(), labelPodUID: md.GetUid(), labelContainerName: name,
		},
		Linux: &runtime.LinuxContainerConfig{
			SecurityContext: &runtime.LinuxContainerSecurityContext{
				NamespaceOptions: &runtime.NamespaceOption{Network: runtime.NamespaceMode_POD, Pid: runtime.NamespaceMode_CONTAINER, Ipc: runtime.NamespaceMode_POD},
			},
		},
	}
	if sb.LogDirectory != "" {
		cfg.LogPath = fmt.Sprintf("%s/%d.log", name, attempt)
		if err := os.MkdirAll(filepath.Join(sb.LogDirectory, name), 0o755); err != nil {
			return Container{}, err
		}
	}
	resp, err := c.rt.CreateContainer(ctx, &runtime.CreateContainerRequest{PodSandboxId: podID, Config: cfg, SandboxConfig: sb})
	if err != nil {
		return Container{}, fmt.Errorf("create container %s in %s: %w", name, podID, err)
	}
	if _, err := c.rt.StartContainer(ctx, &runtime.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
		return Container{}, fmt.Errorf("start container %s: %w", resp.ContainerId, err)
	}
	pid, err := c.containerPID(ctx, resp.ContainerId)
	if err != nil {
		return Container{}, err
	}
	return Container{ID: resp.ContainerId, PodSandboxID: podID, Name: name, Image: image, State: "running", PID: pid}, nil
}

func (c *client) stopContainer(ctx context.Context, id string) error {
	if _, err := c.rt.StopContainer(ctx, &runtime.StopContainerRequest{ContainerId: id, Timeout: 2}); err != nil {
		return fmt.Errorf("stop container %s: %w", id, err)
	}
	return nil
}

func (c *client) removeContainer(ctx context.Context, id string) error {
	if err := c.stopContainer(ctx, id); err != nil {
		return err
	}
	if _, err := c.rt.RemoveContainer(ctx, &runtime.RemoveContainerRequest{ContainerId: id}); err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

func (c *client) removeAllPods(ctx context.Context) error {
	resp, err := c.rt.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("list pod sandboxes: %w", err)
	}
	for _, s := range resp.GetItems() {
		if _, err := c.rt.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: s.Id}); err != nil {
			return fmt.Errorf("stop pod sandbox %s: %w", s.Id, err)
		}
		if _, err := c.rt.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: s.Id}); err != nil {
			return fmt.Errorf("remove pod sandbox %s: %w", s.Id, err)
		}
	}
	return nil
}
