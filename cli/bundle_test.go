package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/bundle"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/show"
)

func TestBundleUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bundle", "extra"}, "bundle takes no arguments"},
		{[]string{"bundle", "--max-size", "lots"}, "--max-size"},
		{[]string{"bundle", "--max-size", "0"}, "--max-size"},
		{[]string{"bundle", "--conntrack-sample", "-1"}, "--conntrack-sample"},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(t, "", tt.args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stdout %q)", tt.args, code, ExitUsage, stdout)
		}
		oneLine(t, stderr, tt.want)
	}
}

// untar reads a bundle: every member under one top directory, by name
// relative to it.
func untar(t *testing.T, b []byte) (map[string][]byte, string) {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	top := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		dir, name, ok := strings.Cut(h.Name, "/")
		if !ok || (top != "" && dir != top) {
			t.Fatalf("member %s is not under the one top directory %s", h.Name, top)
		}
		top = dir
		if h.Typeflag != tar.TypeReg || h.Mode != 0o600 {
			t.Errorf("member %s: type %c mode %o, want a regular file 0600", h.Name, h.Typeflag, h.Mode)
		}
		if _, dup := out[name]; dup {
			t.Errorf("member %s twice", name)
		}
		if out[name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := io.ReadAll(gz); err != nil {
		t.Fatalf("gzip trailer: %v", err)
	}
	return out, top
}

// checkBundle checks what every bundle must satisfy and returns its members
// and manifest.
func checkBundle(t *testing.T, b []byte) (map[string][]byte, bundle.Manifest) {
	t.Helper()
	files, _ := untar(t, b)
	var man bundle.Manifest
	if err := json.Unmarshal(files["manifest.json"], &man); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	listed := map[string]bool{}
	var content int64
	for _, f := range man.Files {
		listed[f.Name] = true
		data, ok := files[f.Name]
		if !ok {
			t.Errorf("manifest lists %s, which is not in the archive", f.Name)
			continue
		}
		if int64(len(data)) != f.Size {
			t.Errorf("%s: manifest says %d bytes, archive has %d", f.Name, f.Size, len(data))
		}
		if f.Description == "" {
			t.Errorf("%s has no description", f.Name)
		}
		if f.Name != "manifest.json" {
			content += f.Size
		}
		switch {
		case strings.HasSuffix(f.Name, ".json"), strings.HasPrefix(f.Name, "cni/"):
			if !json.Valid(data) {
				t.Errorf("%s is not valid JSON:\n%s", f.Name, data)
			}
		case strings.Contains(f.Name, "iptables-") && strings.HasSuffix(f.Name, ".txt"):
			if _, err := iptables.ParseSave(bytes.NewReader(data)); err != nil {
				t.Errorf("%s does not parse as iptables-save output: %v\n%s", f.Name, err, data)
			}
		}
	}
	for name := range files {
		if !listed[name] {
			t.Errorf("archive member %s is not in the manifest", name)
		}
	}
	if content != man.ContentSize || content > man.MaxSize {
		t.Errorf("content is %d bytes (manifest says %d), max %d", content, man.ContentSize, man.MaxSize)
	}
	for _, m := range man.NotCollected {
		if m.Reason == "" {
			t.Errorf("%s: not collected without a reason", m.Name)
		}
	}
	return files, man
}

func fileOf(man bundle.Manifest, name string) (bundle.File, bool) {
	for _, f := range man.Files {
		if f.Name == name {
			return f, true
		}
	}
	return bundle.File{}, false
}

func missingOf(man bundle.Manifest, name string) (bundle.Missing, bool) {
	for _, m := range man.NotCollected {
		if m.Name == name {
			return m, true
		}
	}
	return bundle.Missing{}, false
}

func TestBundleLab(t *testing.T) {
	testlab.RequireTool(t, "iptables-legacy", "iptables-nft", "ping")
	lab := testlab.NewLab(t, 2)

	// CNI configuration with a secret, one that is not JSON (left out) and
	// one that is not a CNI file at all (never read).
	cniDir := filepath.Join(lab.HostRoot, "etc/cni/net.d")
	if err := os.MkdirAll(cniDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"10-test.conflist": `{"cniVersion":"0.4.0","name":"lab","plugins":[{"type":"bridge","bridge":"cbr0",
			"ipam":{"type":"host-local","subnet":"198.18.0.0/24"}},{"type":"vendor","token":"s3cr3t"}]}`,
		"20-broken.conf": `{"type":"vendor","token":"s3cr3t"`,
		"notes.txt":      `token s3cr3t`,
	} {
		if err := os.WriteFile(filepath.Join(cniDir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	envValue := testlab.UniqueName("bundle-env-value")
	t.Setenv("NETDIAG_BUNDLE_TEST_SECRET", envValue)

	// Rules in both backends of the lab node, and conntrack entries from a
	// bounded ping.
	testlab.NSEnter(t, lab.NodeNetNS, "iptables-legacy", "-A", "INPUT", "-s", "198.18.99.1/32", "-m", "comment", "--comment", "bundle-legacy", "-j", "ACCEPT")
	testlab.NSEnter(t, lab.NodeNetNS, "iptables-nft", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-m", "comment", "--comment", "bundle-nft", "-j", "ACCEPT")
	testlab.NSEnter(t, lab.Pods[0].NetNS, "ping", "-c", "2", "-i", "0.2", "-W", "1", lab.Gateway)

	t.Run("full", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "b.tar.gz")
		code, stdout, stderr := run(t, "", labArgs(lab, "bundle", "-w", out)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "wrote "+out) {
			t.Errorf("stdout does not say what was written: %q", stdout)
		}
		fi, err := os.Lstat(out)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o600 {
			t.Errorf("bundle mode %v, want -rw-------", fi.Mode())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files, man := checkBundle(t, b)

		want := []string{
			"manifest.json", "doctor.json", "pods.json",
			"node/ip-addr.txt", "node/ip-route.txt", "node/ip-neigh.txt", "node/ip.json",
			"node/sockets.txt", "node/sockets.json", "node/sysctl.txt", "node/counters.txt",
			"node/iptables-legacy.txt", "node/iptables-nft.txt", "node/iptables-backends.json",
			"node/nft.txt", "node/ipvs.txt", "node/conntrack-stats.json", "node/conntrack-sample.txt",
			"cni/10-test.conflist", "kernel/events.json", "kernel/network-lines.txt",
		}
		for _, p := range lab.Pods {
			dir := "pods/" + p.Namespace + "_" + p.Name + "/"
			for _, m := range []string{"ip-addr.txt", "ip-route.txt", "ip-neigh.txt", "ip.json", "sockets.txt", "sockets.json", "sysctl.txt", "counters.txt"} {
				want = append(want, dir+m)
			}
			if !strings.Contains(string(files[dir+"ip-addr.txt"]), "inet "+p.IP+"/") {
				t.Errorf("%sip-addr.txt lacks the pod's address %s:\n%s", dir, p.IP, files[dir+"ip-addr.txt"])
			}
			if !strings.Contains(string(files[dir+"sysctl.txt"]), "net.core.somaxconn = ") {
				t.Errorf("%ssysctl.txt lacks net.core.somaxconn:\n%s", dir, files[dir+"sysctl.txt"])
			}
		}
		for _, name := range want {
			if _, ok := files[name]; !ok {
				m, _ := missingOf(man, name)
				t.Errorf("no %s in the bundle (manifest: %q)", name, m.Reason)
			}
		}

		// Contents say what the lab holds.
		var pods struct {
			Pods []struct {
				Name string   `json:"name"`
				IPs  []string `json:"ips"`
			} `json:"pods"`
		}
		if err := json.Unmarshal(files["pods.json"], &pods); err != nil || len(pods.Pods) != len(lab.Pods) {
			t.Errorf("pods.json: %v, %d pods, want %d", err, len(pods.Pods), len(lab.Pods))
		}
		if bytes.Contains(files["pods.json"], []byte(`"processes"`)) {
			t.Error("pods.json carries the process list")
		}
		var doc struct {
			Checks   []string `json:"checks"`
			Findings []any    `json:"findings"`
		}
		if err := json.Unmarshal(files["doctor.json"], &doc); err != nil || len(doc.Checks) == 0 {
			t.Errorf("doctor.json: %v, %d checks", err, len(doc.Checks))
		}
		var ip show.IPState
		if err := json.Unmarshal(files["node/ip.json"], &ip); err != nil || len(ip.Links) == 0 {
			t.Errorf("node/ip.json: %v, %d links", err, len(ip.Links))
		}
		for name, want := range map[string]string{
			"node/ip-addr.txt":          "inet " + lab.Gateway + "/",
			"node/ip-route.txt":         " dev " + lab.Bridge,
			"node/iptables-legacy.txt":  "bundle-legacy",
			"node/iptables-nft.txt":     "bundle-nft",
			"node/nft.txt":              "table ip filter",
			"node/sysctl.txt":           "net.ipv4.ip_forward = ",
			"node/counters.txt":         "IpInReceives ",
			"node/conntrack-sample.txt": "src=" + lab.Pods[0].IP + " dst=" + lab.Gateway,
			"cni/10-test.conflist":      `"token": "<redacted>"`,
		} {
			if !strings.Contains(string(files[name]), want) {
				t.Errorf("%s does not contain %q:\n%s", name, want, files[name])
			}
		}
		if m, ok := missingOf(man, "cni/20-broken.conf"); !ok || !strings.Contains(m.Reason, "not valid JSON") {
			t.Errorf("the broken CNI file is not listed as left out: %+v", m)
		}
		if _, ok := fileOf(man, "node/conntrack-sample.txt"); !ok {
			t.Error("no conntrack sample in the manifest")
		}
		if man.Hostname != "ndlab-"+lab.Name || man.KernelRelease == "" || man.NetdiagVersion == "" || man.Pods != len(lab.Pods) {
			t.Errorf("manifest header: host %q kernel %q version %q pods %d", man.Hostname, man.KernelRelease, man.NetdiagVersion, man.Pods)
		}

		// Nothing secret anywhere: not the CNI token, not the environment.
		for name, data := range files {
			for _, secret := range []string{"s3cr3t", envValue} {
				if bytes.Contains(data, []byte(secret)) {
					t.Errorf("%s contains %q", name, secret)
				}
			}
		}
	})

	t.Run("tiny", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		code, stdout, stderr := run(t, "", labArgs(lab, "bundle", "--max-size", "16KiB", "--conntrack-sample", "5")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 {
			t.Fatalf("want one file in %s, got %v", dir, ents)
		}
		name := ents[0].Name()
		if !regexp.MustCompile(`^netdiag-bundle-ndlab-` + regexp.QuoteMeta(lab.Name) + `-\d{8}-\d{6}\.tar\.gz$`).MatchString(name) {
			t.Errorf("default name %q", name)
		}
		if !strings.Contains(stdout, "truncated") {
			t.Errorf("stdout does not mention truncation: %q", stdout)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, man := checkBundle(t, b)
		if man.MaxSize != 16<<10 {
			t.Errorf("manifest maxSize %d", man.MaxSize)
		}
		noted := 0
		for _, f := range man.Files {
			if f.Truncated {
				noted++
				if !strings.Contains(f.Note, "truncated") {
					t.Errorf("%s is truncated without a note: %+v", f.Name, f)
				}
			}
		}
		for _, m := range man.NotCollected {
			if strings.Contains(m.Reason, "--max-size") {
				noted++
			}
		}
		if noted == 0 {
			t.Errorf("a 16 KiB bundle says nothing was cut:\n%+v", man)
		}
	})

	t.Run("stdout", func(t *testing.T) {
		code, stdout, stderr := run(t, "", labArgs(lab, "bundle", "-w", "-", "--max-size", "1MiB")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "wrote stdout") {
			t.Errorf("stderr %q", stderr)
		}
		checkBundle(t, []byte(stdout))
	})

	t.Run("json", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "b.tar.gz")
		code, stdout, stderr := run(t, "", labArgs(lab, "-o", "json", "bundle", "-w", out, "--max-size", "1MiB")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var got struct {
			File         string           `json:"file"`
			Bytes        int64            `json:"bytes"`
			Files        int              `json:"files"`
			NotCollected []bundle.Missing `json:"notCollected"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if got.File != out || got.Bytes != fi.Size() || got.Files < 20 {
			t.Errorf("summary %+v; file is %d bytes", got, fi.Size())
		}
	})

	t.Run("symlink refused", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.tar.gz")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := run(t, "", labArgs(lab, "bundle", "-w", link)...)
		if code != ExitError {
			t.Errorf("exit %d, want %d", code, ExitError)
		}
		oneLine(t, stderr, "symbolic link")
		if b, _ := os.ReadFile(target); string(b) != "keep me" {
			t.Errorf("the symlink's target was changed: %q", b)
		}
	})
}

// TestBundleNoNode: a node netns that does not exist costs the node
// sections, noted in the manifest, but still makes a bundle.
func TestBundleNoNode(t *testing.T) {
	testlab.RequireRoot(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "b.tar.gz")
	code, _, stderr := run(t, "", "--node-netns", filepath.Join(dir, "nonexistent"), "--host-root", dir, "bundle", "-w", out, "--max-size", "2MiB")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	_, man := checkBundle(t, b)
	for _, name := range []string{"pods.json", "node/"} {
		if m, ok := missingOf(man, name); !ok || !strings.Contains(m.Reason, "nonexistent") {
			t.Errorf("%s: want a reason naming the missing netns, got %+v", name, m)
		}
	}
}
