package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// untar returns the regular files and the symlinks of a tarball.
func untar(t *testing.T, b []byte) (files map[string][]byte, links map[string]string) {
	t.Helper()
	files, links = map[string][]byte{}, map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, links
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		switch h.Typeflag {
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("read %s: %v", h.Name, err)
			}
			files[h.Name] = data
		case tar.TypeSymlink:
			links[h.Name] = h.Linkname
		}
	}
}

// blob fetches a blob by digest and checks the digest and size.
func blob(t *testing.T, files map[string][]byte, d descriptor) []byte {
	t.Helper()
	b, ok := files["blobs/sha256/"+d.Digest[len("sha256:"):]]
	if !ok {
		t.Fatalf("blob %s missing", d.Digest)
	}
	sum := sha256.Sum256(b)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != d.Digest || len(b) != d.Size {
		t.Fatalf("blob %s: digest %s size %d, descriptor size %d", d.Digest, got, len(b), d.Size)
	}
	return b
}

func TestBuildImage(t *testing.T) {
	fake := []byte("\x7fELF not really busybox")
	applets := []string{"bin/sh", "bin/sleep", "usr/bin/wget", "sbin/ip", "bin/busybox", "../../etc/evil"}
	img, err := buildImage("docker.io/netdiag/busybox:local", "amd64", fake, applets)
	if err != nil {
		t.Fatal(err)
	}
	again, err := buildImage("docker.io/netdiag/busybox:local", "amd64", fake, applets)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img, again) {
		t.Error("two builds differ; the image should be reproducible")
	}

	files, _ := untar(t, img)
	if got := string(files["oci-layout"]); got != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %q", got)
	}
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v %s", err, files["index.json"])
	}
	m := index.Manifests[0]
	if diff := cmp.Diff(map[string]string{"io.containerd.image.name": "docker.io/netdiag/busybox:local", "org.opencontainers.image.ref.name": "local"}, m.Annotations); diff != "" {
		t.Errorf("index annotations (-want +got):\n%s", diff)
	}
	var manifest struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	if err := json.Unmarshal(blob(t, files, m), &manifest); err != nil || len(manifest.Layers) != 1 {
		t.Fatalf("manifest: %v", err)
	}
	var config struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Config       struct {
			Cmd []string `json:"Cmd"`
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(blob(t, files, manifest.Config), &config); err != nil {
		t.Fatalf("config: %v", err)
	}
	layer := blob(t, files, manifest.Layers[0])
	if diff := cmp.Diff([]string{manifest.Layers[0].Digest}, config.RootFS.DiffIDs); diff != "" {
		t.Errorf("diff_ids of an uncompressed layer are its digest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/bin/sleep", "inf"}, config.Config.Cmd); diff != "" {
		t.Errorf("Cmd (-want +got):\n%s", diff)
	}
	if config.Architecture != "amd64" || config.OS != "linux" {
		t.Errorf("platform %s/%s", config.OS, config.Architecture)
	}

	lfiles, llinks := untar(t, layer)
	if !bytes.Equal(lfiles["bin/busybox"], fake) {
		t.Error("bin/busybox is not the given binary")
	}
	wantLinks := map[string]string{"bin/sh": "/bin/busybox", "bin/sleep": "/bin/busybox", "usr/bin/wget": "/bin/busybox", "sbin/ip": "/bin/busybox", "etc/evil": "/bin/busybox"}
	if diff := cmp.Diff(wantLinks, llinks); diff != "" {
		t.Errorf("applet links (-want +got):\n%s", diff)
	}
	if _, ok := lfiles["etc/passwd"]; !ok {
		t.Error("no etc/passwd")
	}
}

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"no endpoint", []string{"pods"}},
		{"relative endpoint", []string{"-r", "run/x.sock", "pods"}},
		{"unknown command", []string{"-r", "unix:///nonexistent.sock", "frobnicate"}},
		{"run-pod without uid", []string{"-r", "unix:///nonexistent.sock", "run-pod", "-name", "x"}},
		{"pod-status without id", []string{"-r", "unix:///nonexistent.sock", "pod-status"}},
		{"image-build without -o", []string{"image-build"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(tc.args, &out); err == nil {
				t.Errorf("run(%q) succeeded, want an error", tc.args)
			}
			if out.Len() != 0 {
				t.Errorf("run(%q) wrote %q to stdout", tc.args, out.String())
			}
		})
	}
}

func TestStateName(t *testing.T) {
	for in, want := range map[string]string{"SANDBOX_READY": "ready", "SANDBOX_NOTREADY": "notready", "CONTAINER_RUNNING": "running", "CONTAINER_EXITED": "exited"} {
		if got := stateName(in); got != want {
			t.Errorf("stateName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuildImageExtraFiles(t *testing.T) {
	var extra extraFiles
	for _, bad := range []string{"nocolon", ":dst", "src:", "src:../.."} {
		if err := extra.Set(bad); err == nil {
			t.Errorf("-add %q accepted", bad)
		}
	}
	if err := extra.Set("/x/coredns:/usr/local/bin/coredns"); err != nil {
		t.Fatal(err)
	}
	extra[0].data = []byte("coredns binary")
	img, err := buildImage("docker.io/netdiag/k8slab:local", "amd64", []byte("busybox"), []string{"bin/sh"}, extra...)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := untar(t, img)
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Layers []descriptor `json:"layers"`
	}
	if err := json.Unmarshal(blob(t, files, index.Manifests[0]), &manifest); err != nil {
		t.Fatal(err)
	}
	lfiles, _ := untar(t, blob(t, files, manifest.Layers[0]))
	if got := string(lfiles["usr/local/bin/coredns"]); got != "coredns binary" {
		t.Errorf("usr/local/bin/coredns = %q", got)
	}
}
