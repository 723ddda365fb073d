package node

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func readFixture(t testing.TB, parts ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseCRIInfo(t *testing.T) {
	tests := []struct {
		name      string
		info      map[string]string
		wantPID   int
		wantNetNS string
		wantErr   bool
	}{
		{"sandbox", map[string]string{"info": readFixture(t, "cri", "containerd-sandbox-info.json")}, 41230, "/var/run/netns/cni-8b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", false},
		{"containerd 1.6.20, recorded", map[string]string{"info": readFixture(t, "cri", "containerd-1.6.20-sandbox-info.json")}, 3978, "/run/ndreal-fixcap/state/io.containerd.grpc.v1.cri/netns/cni-2666476e-f27f-7386-5430-95e16c9c639e", false},
		{"host network sandbox", map[string]string{"info": readFixture(t, "cri", "containerd-hostnetwork-sandbox-info.json")}, 812, "", false},
		{"container", map[string]string{"info": readFixture(t, "cri", "containerd-container-info.json")}, 41302, "/proc/41230/ns/net", false},
		{"no info", map[string]string{}, 0, "", true},
		{"not json", map[string]string{"info": "{"}, 0, "", true},
		{"negative pid", map[string]string{"info": `{"pid":-4}`}, 0, "", true},
		{"pid only (CRI-O style)", map[string]string{"info": `{"pid":77,"runtimeSpec":null}`}, 77, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid, netns, err := parseCRIInfo(tt.info)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseCRIInfo error = %v, want error %v", err, tt.wantErr)
			}
			if pid != tt.wantPID || netns != tt.wantNetNS {
				t.Errorf("parseCRIInfo = %d, %q; want %d, %q", pid, netns, tt.wantPID, tt.wantNetNS)
			}
		})
	}
}

func FuzzParseCRIInfo(f *testing.F) {
	for _, name := range []string{"containerd-sandbox-info.json", "containerd-1.6.20-sandbox-info.json", "containerd-hostnetwork-sandbox-info.json", "containerd-container-info.json"} {
		f.Add(readFixture(f, "cri", name))
	}
	f.Add(`{"pid":1,"runtimeSpec":{"linux":{"namespaces":[{"type":"network"}]}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		pid, netns, err := parseCRIInfo(map[string]string{"info": s})
		if err != nil && (pid != 0 || netns != "") {
			t.Fatalf("error %v with result %d %q", err, pid, netns)
		}
		if pid < 0 {
			t.Fatalf("negative pid %d", pid)
		}
	})
}

// fakeCRI serves canned CRI answers, as containerd would give them.
type fakeCRI struct {
	cri.UnimplementedRuntimeServiceServer
	sandboxes  []*cri.PodSandbox
	statuses   map[string]*cri.PodSandboxStatusResponse
	containers []*cri.Container
	cstatuses  map[string]*cri.ContainerStatusResponse
}

func (f *fakeCRI) Version(context.Context, *cri.VersionRequest) (*cri.VersionResponse, error) {
	return &cri.VersionResponse{Version: "0.1.0", RuntimeName: "containerd", RuntimeVersion: "v1.6.20", RuntimeApiVersion: "v1"}, nil
}

func (f *fakeCRI) ListPodSandbox(context.Context, *cri.ListPodSandboxRequest) (*cri.ListPodSandboxResponse, error) {
	return &cri.ListPodSandboxResponse{Items: f.sandboxes}, nil
}

func (f *fakeCRI) PodSandboxStatus(_ context.Context, r *cri.PodSandboxStatusRequest) (*cri.PodSandboxStatusResponse, error) {
	if !r.Verbose {
		return nil, status.Error(codes.InvalidArgument, "test wants verbose")
	}
	st, ok := f.statuses[r.PodSandboxId]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "an error occurred when try to find sandbox %q: not found", r.PodSandboxId)
	}
	return st, nil
}

func (f *fakeCRI) ListContainers(context.Context, *cri.ListContainersRequest) (*cri.ListContainersResponse, error) {
	return &cri.ListContainersResponse{Containers: f.containers}, nil
}

func (f *fakeCRI) ContainerStatus(_ context.Context, r *cri.ContainerStatusRequest) (*cri.ContainerStatusResponse, error) {
	st, ok := f.cstatuses[r.ContainerId]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "container %q not found", r.ContainerId)
	}
	return st, nil
}

// serveCRI serves srv on a unix socket at path until the test ends.
func serveCRI(t *testing.T, path string, srv cri.RuntimeServiceServer) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	if srv != nil {
		cri.RegisterRuntimeServiceServer(g, srv)
	}
	go g.Serve(l)
	t.Cleanup(g.Stop)
}

const (
	sbWeb   = "5f1b7c2e8d0a4b6c9e3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
	sbOld   = "0000000000000000000000000000000000000000000000000000000000000001"
	sbProxy = "aa00000000000000000000000000000000000000000000000000000000000002"
	ctNginx = "3f9d2c1b8a7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"
	ctSide  = "1111111111111111111111111111111111111111111111111111111111111111"
	ctProxy = "2222222222222222222222222222222222222222222222222222222222222222"
	uidWeb  = "1b2c3d4e-0000-4000-8000-000000000001"
	uidProx = "1b2c3d4e-0000-4000-8000-000000000002"
)

func newFakeCRI(t testing.TB) *fakeCRI {
	meta := func(ns, name, uid string) *cri.PodSandboxMetadata {
		return &cri.PodSandboxMetadata{Namespace: ns, Name: name, Uid: uid}
	}
	return &fakeCRI{
		sandboxes: []*cri.PodSandbox{
			{Id: sbWeb, Metadata: meta("default", "web-7d4b9c8f6-x2x9q", uidWeb), State: cri.PodSandboxState_SANDBOX_READY, CreatedAt: 200},
			{Id: sbOld, Metadata: meta("default", "web-7d4b9c8f6-x2x9q", uidWeb), State: cri.PodSandboxState_SANDBOX_NOTREADY, CreatedAt: 100},
			{Id: sbProxy, Metadata: meta("kube-system", "kube-proxy-abcde", uidProx), State: cri.PodSandboxState_SANDBOX_READY, CreatedAt: 50},
		},
		statuses: map[string]*cri.PodSandboxStatusResponse{
			sbWeb: {
				Status: &cri.PodSandboxStatus{Id: sbWeb, State: cri.PodSandboxState_SANDBOX_READY,
					Network: &cri.PodSandboxNetworkStatus{Ip: "10.4.1.17", AdditionalIps: []*cri.PodIP{{Ip: "fd00:10:4::11"}}},
					Linux:   &cri.LinuxPodSandboxStatus{Namespaces: &cri.Namespace{Options: &cri.NamespaceOption{Network: cri.NamespaceMode_POD}}}},
				Info: map[string]string{"info": readFixture(t, "cri", "containerd-sandbox-info.json")},
			},
			sbOld: {Status: &cri.PodSandboxStatus{Id: sbOld, State: cri.PodSandboxState_SANDBOX_NOTREADY}, Info: map[string]string{"info": `{"pid":0}`}},
			sbProxy: {
				Status: &cri.PodSandboxStatus{Id: sbProxy, State: cri.PodSandboxState_SANDBOX_READY,
					Network: &cri.PodSandboxNetworkStatus{Ip: "192.0.2.2"},
					Linux:   &cri.LinuxPodSandboxStatus{Namespaces: &cri.Namespace{Options: &cri.NamespaceOption{Network: cri.NamespaceMode_NODE}}}},
				Info: map[string]string{"info": readFixture(t, "cri", "containerd-hostnetwork-sandbox-info.json")},
			},
		},
		containers: []*cri.Container{
			{Id: ctNginx, PodSandboxId: sbWeb, Metadata: &cri.ContainerMetadata{Name: "nginx"}, State: cri.ContainerState_CONTAINER_RUNNING},
			{Id: ctSide, PodSandboxId: sbWeb, Metadata: &cri.ContainerMetadata{Name: "istio-proxy"}, State: cri.ContainerState_CONTAINER_EXITED},
			{Id: ctProxy, PodSandboxId: sbProxy, Metadata: &cri.ContainerMetadata{Name: "kube-proxy"}, State: cri.ContainerState_CONTAINER_RUNNING},
		},
		cstatuses: map[string]*cri.ContainerStatusResponse{
			ctNginx: {Info: map[string]string{"info": readFixture(t, "cri", "containerd-container-info.json")}},
			ctProxy: {Info: map[string]string{"info": `{"pid":900}`}},
		},
	}
}

func TestLoadCRI(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "cri.sock")
	serveCRI(t, sock, newFakeCRI(t))
	pods, name, err := loadCRI(context.Background(), sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	if name != "containerd v1.6.20" {
		t.Errorf("runtime name %q", name)
	}
	want := []runtimePod{
		{Source: SourceCRI, SandboxID: sbWeb, Namespace: "default", Name: "web-7d4b9c8f6-x2x9q", UID: uidWeb, State: "ready", CreatedAt: 200,
			IPs: []string{"10.4.1.17", "fd00:10:4::11"}, PID: 41230, NetNSPath: "/var/run/netns/cni-8b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
			Containers: []Container{{ID: ctSide, Name: "istio-proxy", State: "exited"}, {ID: ctNginx, Name: "nginx", State: "running", PIDs: []int{41302}}}},
		{Source: SourceCRI, SandboxID: sbOld, Namespace: "default", Name: "web-7d4b9c8f6-x2x9q", UID: uidWeb, State: "notready", CreatedAt: 100},
		{Source: SourceCRI, SandboxID: sbProxy, Namespace: "kube-system", Name: "kube-proxy-abcde", UID: uidProx, State: "ready", CreatedAt: 50,
			IPs: []string{"192.0.2.2"}, PID: 812, HostNetwork: true,
			Containers: []Container{{ID: ctProxy, Name: "kube-proxy", State: "running", PIDs: []int{900}}}},
	}
	if diff := cmp.Diff(want, pods); diff != "" {
		t.Errorf("loadCRI (-want +got):\n%s", diff)
	}
}

func TestLoadCRIErrors(t *testing.T) {
	dir := t.TempDir()
	// A socket that serves gRPC but not CRI: docker's own containerd without the CRI plugin.
	noCRI := filepath.Join(dir, "nocri.sock")
	serveCRI(t, noCRI, nil)
	_, _, err := loadCRI(context.Background(), noCRI, nil)
	if err == nil || !strings.Contains(err.Error(), "does not serve CRI") {
		t.Errorf("gRPC without CRI: %v, want 'does not serve CRI'", err)
	}
	// A socket nobody listens on.
	dead := filepath.Join(dir, "dead.sock")
	l, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	_, _, err = loadCRI(context.Background(), dead, nil)
	if err == nil || !strings.Contains(err.Error(), "not answering") {
		t.Errorf("dead socket: %v, want 'not answering'", err)
	}
}

func TestCRIEndpoints(t *testing.T) {
	root := t.TempDir()
	sock := filepath.Join(root, "run", "containerd", "containerd.sock")
	serveCRI(t, sock, nil)
	if err := os.MkdirAll(filepath.Join(root, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	// /var/run is a symlink to /run on most distributions: one socket, not two.
	if err := os.Symlink("../run", filepath.Join(root, "var", "run")); err != nil {
		t.Fatal(err)
	}
	got, err := criEndpoints("", root)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{sock}, got); diff != "" {
		t.Errorf("auto-detect (-want +got):\n%s", diff)
	}
	got, _ = criEndpoints("unix:///run/containerd/containerd.sock", root)
	if diff := cmp.Diff([]string{sock}, got); diff != "" {
		t.Errorf("endpoint under host root (-want +got):\n%s", diff)
	}
	got, _ = criEndpoints("/x/y.sock", root)
	if diff := cmp.Diff([]string{"/x/y.sock"}, got); diff != "" {
		t.Errorf("bare path (-want +got):\n%s", diff)
	}
	if _, err := criEndpoints("tcp://1.2.3.4:10", root); err == nil {
		t.Errorf("tcp endpoint accepted")
	}
	if got, _ := criEndpoints("", t.TempDir()); len(got) != 0 {
		t.Errorf("empty host root: %v", got)
	}
}
