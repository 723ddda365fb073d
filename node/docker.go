package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// dockerSockets are where dockerd listens, relative to the host root.
var dockerSockets = []string{"var/run/docker.sock", "run/docker.sock"}

// Labels dockershim and cri-dockerd put on the containers they create.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
	labelDockerType    = "io.kubernetes.docker.type" // "podsandbox" or "container"
	labelSandboxID     = "io.kubernetes.sandbox.id"
)

// dockerSocket returns the Docker socket under hostRoot, or "".
func dockerSocket(hostRoot string) string {
	for _, s := range dockerSockets {
		p := filepath.Join(hostRoot, s)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return p
		}
	}
	return ""
}

// dockerListItem is one entry of GET /containers/json.
type dockerListItem struct {
	ID      string            `json:"Id"`
	Names   []string          `json:"Names"`
	State   string            `json:"State"`
	Created int64             `json:"Created"`
	Labels  map[string]string `json:"Labels"`
}

// dockerInspect is the part of GET /containers/{id}/json netdiag reads.
type dockerInspect struct {
	ID    string `json:"Id"`
	State struct {
		Status  string `json:"Status"`
		Running bool   `json:"Running"`
		Pid     int    `json:"Pid"`
	} `json:"State"`
	HostConfig struct {
		NetworkMode string `json:"NetworkMode"`
	} `json:"HostConfig"`
	NetworkSettings struct {
		SandboxKey        string `json:"SandboxKey"`
		IPAddress         string `json:"IPAddress"`
		GlobalIPv6Address string `json:"GlobalIPv6Address"`
	} `json:"NetworkSettings"`
}

// dockerClient speaks the Docker Engine API over its unix socket with plain
// HTTP/JSON.
type dockerClient struct {
	socket string
	hc     *http.Client
}

func newDockerClient(socket string) *dockerClient {
	var d net.Dialer
	return &dockerClient{socket: socket, hc: &http.Client{
		Timeout: criTimeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "unix", socket)
			},
			DisableCompression:  true,
			MaxIdleConnsPerHost: 8,
		},
	}}
}

func (d *dockerClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return err
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return fmt.Errorf("docker %s: GET %s: %w", d.socket, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("docker %s: GET %s: %w", d.socket, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &m)
		return fmt.Errorf("docker %s: GET %s: %s %s", d.socket, path, resp.Status, m.Message)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("docker %s: GET %s: decode: %w", d.socket, path, err)
	}
	return nil
}

// loadDocker lists the Kubernetes pods dockershim or cri-dockerd made.
// Containers without Kubernetes labels are not pods and are skipped.
func loadDocker(ctx context.Context, socket string) ([]runtimePod, error) {
	d := newDockerClient(socket)
	defer d.hc.CloseIdleConnections()
	var list []dockerListItem
	if err := d.get(ctx, "/containers/json?all=1&filters="+url.QueryEscape(`{"label":["`+labelPodUID+`"]}`), &list); err != nil {
		return nil, err
	}
	var pods []runtimePod
	index := map[string]int{}
	for _, c := range list {
		if c.Labels[labelDockerType] != "podsandbox" {
			continue
		}
		index[c.ID] = len(pods)
		state := "notready"
		if c.State == "running" {
			state = "ready"
		}
		pods = append(pods, runtimePod{
			Source: SourceDocker, SandboxID: c.ID, State: state, CreatedAt: c.Created * 1e9,
			Namespace: c.Labels[labelPodNamespace], Name: c.Labels[labelPodName], UID: c.Labels[labelPodUID],
		})
	}
	type ref struct{ pod, ctr int } // ctr -1: the sandbox
	var inspect []ref
	for i := range pods {
		inspect = append(inspect, ref{i, -1})
	}
	for _, c := range list {
		if c.Labels[labelDockerType] == "podsandbox" {
			continue
		}
		i, ok := index[c.Labels[labelSandboxID]]
		if !ok {
			continue
		}
		name := c.Labels[labelContainerName]
		if name == "" && len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		pods[i].Containers = append(pods[i].Containers, Container{ID: c.ID, Name: name, State: strings.ToLower(c.State)})
		if c.State == "running" {
			inspect = append(inspect, ref{i, len(pods[i].Containers) - 1})
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 8)
	)
	results := make([]dockerInspect, len(inspect))
	for k, r := range inspect {
		id := pods[r.pod].SandboxID
		if r.ctr >= 0 {
			id = pods[r.pod].Containers[r.ctr].ID
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := d.get(ctx, "/containers/"+url.PathEscape(id)+"/json", &results[k]); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for k, r := range inspect {
		in := &results[k]
		if in.ID == "" {
			continue
		}
		if r.ctr >= 0 {
			if in.State.Pid > 0 {
				pods[r.pod].Containers[r.ctr].PIDs = []int{in.State.Pid}
			}
			continue
		}
		p := &pods[r.pod]
		p.PID = in.State.Pid
		p.HostNetwork = in.HostConfig.NetworkMode == "host"
		if !p.HostNetwork {
			p.NetNSPath = in.NetworkSettings.SandboxKey
		}
		for _, ip := range []string{in.NetworkSettings.IPAddress, in.NetworkSettings.GlobalIPv6Address} {
			if ip != "" {
				p.IPs = append(p.IPs, ip)
			}
		}
	}
	for i := range pods {
		sort.Slice(pods[i].Containers, func(a, b int) bool { return pods[i].Containers[a].Name < pods[i].Containers[b].Name })
	}
	return pods, errors.Join(errs...)
}
