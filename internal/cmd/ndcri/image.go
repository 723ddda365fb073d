package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	goruntime "runtime"
	"sort"
	"strings"
	"time"
)

// The OCI image-layout media types (image-spec v1.0).
const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// epoch keeps the tarball byte-identical from run to run.
var epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func cmdImageBuild(args []string) error {
	fs := flag.NewFlagSet("image-build", flag.ContinueOnError)
	out := fs.String("o", "", "output tarball")
	name := fs.String("name", DefaultImage, "image name (io.containerd.image.name)")
	busybox := fs.String("busybox", "", "static busybox binary (default: busybox on PATH)")
	noBusybox := fs.Bool("no-busybox", false, "no busybox and so no shell: only the -add files (an image like distroless)")
	var extra extraFiles
	fs.Var(&extra, "add", "SRC:DST: also put file SRC at DST in the image (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return fmt.Errorf("image-build needs -o FILE: %w", errUsage)
	}
	if *noBusybox {
		return writeImage(*out, *name, nil, nil, extra)
	}
	bin := *busybox
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("busybox"); err != nil {
			return fmt.Errorf("find busybox: %w (install busybox-static)", err)
		}
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("read busybox: %w", err)
	}
	list, err := exec.Command(bin, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("list busybox applets: %w", err)
	}
	return writeImage(*out, *name, b, strings.Fields(string(list)), extra)
}

func writeImage(out, name string, busybox []byte, applets []string, extra extraFiles) error {
	var err error
	for i := range extra {
		if extra[i].data, err = os.ReadFile(extra[i].src); err != nil {
			return fmt.Errorf("read -add file: %w", err)
		}
	}
	img, err := buildImage(name, goruntime.GOARCH, busybox, applets, extra...)
	if err != nil {
		return err
	}
	return os.WriteFile(out, img, 0o644)
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// buildImage returns an OCI image-layout tarball with one layer: busybox at
// /bin/busybox, a symlink per applet (paths as `busybox --list-full` prints
// them), and minimal /etc files. Its default command, /bin/sleep inf, lets
// the same image serve as the pod sandbox (pause) image.
func buildImage(name, arch string, busybox []byte, applets []string, extra ...extraFile) ([]byte, error) {
	layer, err := buildLayer(busybox, applets, extra)
	if err != nil {
		return nil, err
	}
	config, err := json.Marshal(map[string]any{
		"created":      epoch.Format(time.RFC3339),
		"architecture": arch,
		"os":           "linux",
		"config": map[string]any{
			"Env":        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Cmd":        []string{"/bin/sleep", "inf"},
			"WorkingDir": "/",
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest(layer)}},
	})
	if err != nil {
		return nil, err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        descriptor{MediaType: mediaConfig, Digest: digest(config), Size: len(config)},
		"layers":        []descriptor{{MediaType: mediaLayer, Digest: digest(layer), Size: len(layer)}},
	})
	if err != nil {
		return nil, err
	}
	tag := "latest"
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		tag = name[i+1:]
	}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaIndex,
		"manifests": []descriptor{{
			MediaType: mediaManifest, Digest: digest(manifest), Size: len(manifest),
			Annotations: map[string]string{"io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag},
			Platform:    &platform{Architecture: arch, OS: "linux"},
		}},
	})
	if err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
	}
	for _, blob := range [][]byte{layer, config, manifest} {
		files = append(files, struct {
			name string
			data []byte
		}{"blobs/sha256/" + strings.TrimPrefix(digest(blob), "sha256:"), blob})
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if err := writeFile(tw, f.name, 0o644, f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch}); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err := tw.Write(data)
	return err
}

func buildLayer(busybox []byte, applets []string, extra []extraFile) ([]byte, error) {
	dirs := map[string]bool{"bin": true, "etc": true, "tmp": true, "root": true, "proc": true, "sys": true, "dev": true, "var": true}
	for _, f := range extra {
		for d := path.Dir(f.dst); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	links := map[string]bool{}
	for _, a := range applets {
		a = strings.TrimPrefix(path.Clean("/"+a), "/")
		if a == "" || a == "bin/busybox" || strings.Contains(a, "..") {
			continue
		}
		links[a] = true
		for d := path.Dir(a); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range sortedKeys(dirs) {
		mode := int64(0o755)
		if d == "tmp" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode, ModTime: epoch}); err != nil {
			return nil, err
		}
	}
	if busybox != nil { // nil: an image without a shell
		if err := writeFile(tw, "bin/busybox", 0o755, busybox); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct{ name, data string }{
		{"etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"etc/group", "root:x:0:\nnogroup:x:65534:\n"},
		{"etc/hosts", "127.0.0.1\tlocalhost\n"},
	} {
		if err := writeFile(tw, f.name, 0o644, []byte(f.data)); err != nil {
			return nil, err
		}
	}
	for _, f := range extra {
		if err := writeFile(tw, f.dst, 0o755, f.data); err != nil {
			return nil, err
		}
	}
	for _, l := range sortedKeys(links) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: l, Linkname: "/bin/busybox", Mode: 0o777, ModTime: epoch}); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// extraFile is a file put into the image beside busybox (the lab's CoreDNS).
type extraFile struct {
	src, dst string
	data     []byte
}

type extraFiles []extraFile

func (e *extraFiles) String() string { return fmt.Sprint(len(*e), " files") }

func (e *extraFiles) Set(v string) error {
	src, dst, ok := strings.Cut(v, ":")
	dst = strings.TrimPrefix(path.Clean("/"+dst), "/")
	if !ok || src == "" || dst == "" || strings.Contains(dst, "..") {
		return fmt.Errorf("-add wants SRC:DST, got %q", v)
	}
	*e = append(*e, extraFile{src: src, dst: dst})
	return nil
}
