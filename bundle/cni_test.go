package bundle

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/snapshot"
)

func TestCNI(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "etc/cni/net.d")
	outside := t.TempDir()
	for _, d := range []string{dir, filepath.Join(dir, "d.conf"), filepath.Join(root, "opt")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "a.conflist"), `{"name":"a","plugins":[{"type":"x","token":"s3cr3t"}]}`)
	write(filepath.Join(root, "opt/real.json"), `{"name":"b","password":"s3cr3t"}`)
	write(filepath.Join(outside, "out.json"), `{"name":"outside"}`)
	write(filepath.Join(dir, "e.txt"), `s3cr3t`)
	write(filepath.Join(dir, "f.conf"), `{"name": "broken", "token": "s3cr3t"`)
	for link, target := range map[string]string{
		"b.conf": "/opt/real.json",                                           // absolute: inside the host root
		"c.json": filepath.Join("../../..", "..", "..", outside, "out.json"), // escapes
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	man := &Manifest{MaxSize: 1 << 20}
	c := &collector{a: &archive{tw: tar.NewWriter(&buf), dir: "b", left: 1 << 20, man: man}, o: Options{HostRoot: root, MaxSize: 1 << 20}}
	c.snap = &snapshot.Snapshot{Raw: &snapshot.Raw{CNI: snapshot.ReadCNI(root)}}
	c.cni()
	c.a.tw.Close()
	files := readTar(t, &buf)

	var got []string
	for _, f := range man.Files {
		got = append(got, f.Name+" "+f.Note)
	}
	if diff := cmp.Diff([]string{"cni/a.conflist 1 values redacted", "cni/b.conf 1 values redacted"}, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	reasons := map[string]string{}
	for _, m := range man.NotCollected {
		reasons[m.Name] = m.Reason
	}
	for name, want := range map[string]string{
		"cni/c.json": "outside the host root",
		"cni/d.conf": "not a regular file",
		"cni/f.conf": "not valid JSON",
	} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("%s: reason %q, want it to say %q", name, reasons[name], want)
		}
	}
	if len(man.Notes) != 1 || !strings.Contains(man.Notes[0], "e.txt") {
		t.Errorf("notes %q do not list the skipped e.txt", man.Notes)
	}
	for name, b := range files {
		if bytes.Contains(b, []byte("s3cr3t")) || bytes.Contains(b, []byte("outside")) {
			t.Errorf("%s leaks:\n%s", name, b)
		}
	}
}
