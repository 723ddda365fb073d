package bundle

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileName(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	for host, want := range map[string]string{
		"node-1.example": "netdiag-bundle-node-1.example-20250304-040607.tar.gz",
		"../../etc/x y":  "netdiag-bundle-_.._etc_x_y-20250304-040607.tar.gz",
		"":               "netdiag-bundle-unknown-20250304-040607.tar.gz",
		"..":             "netdiag-bundle-unknown-20250304-040607.tar.gz",
	} {
		if got := FileName(host, at); got != want {
			t.Errorf("FileName(%q) = %q, want %q", host, got, want)
		}
	}
}

// TestWriteCancelled: a cancelled run still writes a valid bundle whose
// manifest says what was not collected and why.
func TestWriteCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	man, err := Write(ctx, &buf, Options{
		HostRoot: dir, NodeNetNS: filepath.Join(dir, "none"), KmsgPath: filepath.Join(dir, "kmsg"),
		Hostname: "h", Now: at, Version: "v1",
	})
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	files := readTar(t, gz)
	b, ok := files["netdiag-bundle-h-20250304-050607/manifest.json"]
	if !ok {
		t.Fatalf("no manifest; members %v", files)
	}
	var got Manifest
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.NetdiagVersion != "v1" || got.Hostname != "h" || !got.Created.Equal(at) || got.MaxSize != DefaultMaxSize {
		t.Errorf("manifest header %+v", got)
	}
	reasons := map[string]string{}
	for _, m := range got.NotCollected {
		reasons[m.Name] = m.Reason
	}
	if !strings.Contains(reasons["doctor.json"], "none") {
		t.Errorf("doctor.json: %q, want a reason naming the missing netns", reasons["doctor.json"])
	}
	if reasons["pods.json"] == "" {
		t.Error("pods.json is neither collected nor explained")
	}
	if !strings.Contains(reasons["node/"], "interrupted") {
		t.Errorf("node/: %q", reasons["node/"])
	}
	if len(man.Files) != 1 || man.Files[0].Name != manifestName {
		t.Errorf("files %+v, want only the manifest", man.Files)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteOutputError(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Write(ctx, &failWriter{n: 10}, Options{HostRoot: dir, NodeNetNS: filepath.Join(dir, "none"), Hostname: "h"})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write to a failing writer = %v, want the write error", err)
	}
}
