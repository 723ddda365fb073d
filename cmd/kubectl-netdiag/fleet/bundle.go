package fleet

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// NodeBundle is one node's `netdiag bundle -w -` output (a tar.gz), or why
// there is none.
type NodeBundle struct {
	Node    string    `json:"node"`
	Data    io.Reader `json:"-"` // the node's tar.gz; nil when Error is set
	Error   string    `json:"error,omitempty"`
	Carrier string    `json:"carrier,omitempty"`
	Files   int       `json:"files"`
}

// MergeBundles writes one tar.gz holding every node's bundle under a
// directory named after the node, and manifest.json listing the nodes
// (with the error of each that has none).
func MergeBundles(w io.Writer, nodes []NodeBundle, session string) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	now := time.Now()
	for i := range nodes {
		n := &nodes[i]
		if n.Data == nil {
			continue
		}
		if err := copyBundle(tw, n, now); err != nil {
			n.Error = err.Error()
		}
	}
	manifest, err := json.MarshalIndent(struct {
		Tool    string       `json:"tool"`
		Session string       `json:"session"`
		Created time.Time    `json:"created"`
		Nodes   []NodeBundle `json:"nodes"`
	}{"kubectl-netdiag", session, now.UTC(), nodes}, "", "  ")
	if err != nil {
		return err
	}
	manifest = append(manifest, '\n')
	if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(manifest)), ModTime: now}); err != nil {
		return err
	}
	if _, err := tw.Write(manifest); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// copyBundle copies one node's tar.gz entries under NODE/.
func copyBundle(tw *tar.Writer, n *NodeBundle, now time.Time) error {
	zr, err := gzip.NewReader(n.Data)
	if err != nil {
		return fmt.Errorf("node %s: its bundle is not gzip: %w", n.Node, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("node %s: read its bundle: %w", n.Node, err)
		}
		name := path.Clean("/" + h.Name)
		if strings.Contains(h.Name, "..") || h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeDir {
			continue
		}
		// netdiag bundle puts everything under netdiag-bundle-HOST-TIME/:
		// here NODE/ takes its place.
		if first, rest, ok := strings.Cut(strings.TrimPrefix(name, "/"), "/"); ok && strings.HasPrefix(first, "netdiag-bundle-") {
			name = "/" + rest
		} else if strings.HasPrefix(strings.TrimPrefix(name, "/"), "netdiag-bundle-") {
			continue // the directory itself
		}
		h.Name = n.Node + name
		if h.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
		n.Files++
	}
}
