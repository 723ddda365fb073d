package node

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// serveDocker serves the recorded Docker API answers in testdata/docker on a
// unix socket, like dockerd, and returns the socket path.
func serveDocker(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containers/json", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("all") != "1" {
			http.Error(w, `{"message":"test wants all=1"}`, http.StatusBadRequest)
			return
		}
		var f struct {
			Label []string `json:"label"`
		}
		if err := json.Unmarshal([]byte(r.URL.Query().Get("filters")), &f); err != nil || len(f.Label) != 1 || f.Label[0] != labelPodUID {
			http.Error(w, `{"message":"bad filters"}`, http.StatusBadRequest)
			return
		}
		http.ServeFile(w, r, filepath.Join("testdata", "docker", "containers.json"))
	})
	mux.HandleFunc("GET /containers/{id}/json", func(w http.ResponseWriter, r *http.Request) {
		p := filepath.Join("testdata", "docker", "inspect-"+filepath.Base(r.PathValue("id"))+".json")
		if _, err := os.Stat(p); err != nil {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"No such container: ` + r.PathValue("id") + `"}`))
			return
		}
		http.ServeFile(w, r, p)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

func TestLoadDocker(t *testing.T) {
	root := t.TempDir()
	serveDocker(t, filepath.Join(root, "var", "run", "docker.sock"))
	sock := dockerSocket(root)
	if sock == "" {
		t.Fatal("docker socket not found under host root")
	}
	pods, err := loadDocker(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	want := []runtimePod{
		{Source: SourceDocker, SandboxID: "aa11111111111111111111111111111111111111111111111111111111111111", Namespace: "default", Name: "web-0",
			UID: "1b2c3d4e-0000-4000-8000-000000000001", State: "ready", CreatedAt: 1700000000e9, PID: 5150,
			NetNSPath: "/var/run/docker/netns/8e4e1d2f0a9b",
			Containers: []Container{
				{ID: "bb22222222222222222222222222222222222222222222222222222222222222", Name: "app", State: "running", PIDs: []int{5233}},
				{ID: "cc33333333333333333333333333333333333333333333333333333333333333", Name: "init", State: "exited"},
			}},
		{Source: SourceDocker, SandboxID: "dd44444444444444444444444444444444444444444444444444444444444444", Namespace: "kube-system", Name: "kube-proxy-abcde",
			UID: "1b2c3d4e-0000-4000-8000-000000000002", State: "ready", CreatedAt: 1690000000e9, PID: 702, HostNetwork: true},
	}
	if diff := cmp.Diff(want, pods); diff != "" {
		t.Errorf("loadDocker (-want +got):\n%s", diff)
	}
}

func TestLoadDockerErrors(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := loadDocker(context.Background(), dead); err == nil || !strings.Contains(err.Error(), "docker "+dead) {
		t.Errorf("dead socket: %v", err)
	}
	// An HTTP error carries dockerd's message.
	l2, err := net.Listen("unix", filepath.Join(dir, "err.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"daemon is shutting down"}`))
	})}
	go srv.Serve(l2)
	defer srv.Close()
	if _, err := loadDocker(context.Background(), filepath.Join(dir, "err.sock")); err == nil || !strings.Contains(err.Error(), "daemon is shutting down") {
		t.Errorf("HTTP 500: %v", err)
	}
}
