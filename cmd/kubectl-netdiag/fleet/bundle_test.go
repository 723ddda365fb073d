package fleet

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))})
		tw.Write([]byte(data))
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func TestMergeBundles(t *testing.T) {
	var out bytes.Buffer
	err := MergeBundles(&out, []NodeBundle{
		{Node: "n1", Data: bytes.NewReader(tgz(t, map[string]string{"netdiag-bundle-n1-20261203/manifest.json": "{}", "netdiag-bundle-n1-20261203/node/ip-addr.txt": "[]"}))},
		{Node: "n2", Error: "no carrier pod could run"},
		{Node: "n3", Data: strings.NewReader("not gzip")},
	}, "abc")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = string(b)
	}
	m := got["manifest.json"]
	delete(got, "manifest.json")
	if d := cmp.Diff(map[string]string{"n1/manifest.json": "{}", "n1/node/ip-addr.txt": "[]"}, got); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	for _, want := range []string{`"node": "n2"`, "no carrier pod could run", `"node": "n3"`, "not gzip", `"session": "abc"`} {
		if !strings.Contains(m, want) {
			t.Errorf("manifest.json lacks %q:\n%s", want, m)
		}
	}
}
