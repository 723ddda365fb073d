package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKubeletIndex(t *testing.T) {
	k := loadKubelet(filepath.Join("testdata", "kubelet", "hostroot"))
	if !k.found {
		t.Fatal("kubelet files not found")
	}
	type view struct {
		Namespace, Name string
		Named           bool
		Containers, IPs []string
	}
	get := func(uid string) view {
		ns, name, ok := k.name(uid)
		return view{ns, name, ok, k.containers(uid), k.ips(uid)}
	}
	tests := []struct {
		uid  string
		want view
	}{
		{"1b2c3d4e-0000-4000-8000-000000000001", view{"default", "web-7d4b9c8f6-x2x9q", true, []string{"istio-proxy", "nginx"}, []string{"10.4.1.17", "fd00:10:4::11"}}},
		{"1B2C3D4E-0000-4000-8000-000000000001", view{"default", "web-7d4b9c8f6-x2x9q", true, []string{"istio-proxy", "nginx"}, nil}},
		// Host network: its etc-hosts is the node's, so no IPs.
		{"1b2c3d4e-0000-4000-8000-000000000002", view{"kube-system", "kube-proxy-abcde", true, []string{"kube-proxy"}, nil}},
		{"6ec5f2cd46c3b0f8a54ab9f1c1f5e0a8", view{"kube-system", "etcd-node1", true, []string{"etcd"}, nil}},
		{"1b2c3d4e-0000-4000-8000-000000000003", view{}},
		{"", view{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, get(tt.uid)); diff != "" {
			t.Errorf("pod %q (-want +got):\n%s", tt.uid, diff)
		}
	}
	if got := k.uidOfIP("fd00:10:4::11"); got != "1b2c3d4e-0000-4000-8000-000000000001" {
		t.Errorf("uidOfIP = %q", got)
	}
	if got := k.uidOfIP("10.9.9.9"); got != "" {
		t.Errorf("uidOfIP of a HostAliases entry = %q, want none", got)
	}
	if loadKubelet(t.TempDir()).found {
		t.Errorf("empty host root reported kubelet files")
	}
	var nilIndex *kubeletIndex
	if _, _, ok := nilIndex.name("x"); ok || nilIndex.uidOfIP("1.2.3.4") != "" {
		t.Errorf("nil index answered")
	}
}

func TestParsePodLogDir(t *testing.T) {
	tests := []struct {
		in            string
		ns, name, uid string
		ok            bool
	}{
		{"default_web-0_1b2c3d4e-0000-4000-8000-000000000001", "default", "web-0", "1b2c3d4e-0000-4000-8000-000000000001", true},
		{"kube-system_etcd-node1_6ec5f2cd46c3b0f8a54ab9f1c1f5e0a8", "kube-system", "etcd-node1", "6ec5f2cd46c3b0f8a54ab9f1c1f5e0a8", true},
		{"default_web-0", "", "", "", false},
		{"a_b_c_d", "", "", "", false},
		{"_web_1b2c3d4e-0000-4000-8000-000000000001", "", "", "", false},
		{"default_web_notauid", "", "", "", false},
	}
	for _, tt := range tests {
		ns, name, uid, ok := parsePodLogDir(tt.in)
		if ns != tt.ns || name != tt.name || uid != tt.uid || ok != tt.ok {
			t.Errorf("parsePodLogDir(%q) = %q %q %q %v", tt.in, ns, name, uid, ok)
		}
	}
}

func TestContainerLogNames(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "var", "log", "containers")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{
		"web-0_default_nginx-" + ctNginx + ".log",
		"web-0_default_istio-proxy-" + ctSide + ".log",
		"junk.log", "a_b_c-xyz.log", "web-0_default_nginx-" + ctNginx + ".txt",
	} {
		if err := os.Symlink("/nonexistent", filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{ctNginx: "nginx", ctSide: "istio-proxy"}
	if diff := cmp.Diff(want, containerLogNames(root)); diff != "" {
		t.Errorf("containerLogNames (-want +got):\n%s", diff)
	}
}

func TestParseEtcHosts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ips  []string
		host string
	}{
		{"pod", readFixture(t, "kubelet", "hostroot", "var", "lib", "kubelet", "pods", "1b2c3d4e-0000-4000-8000-000000000001", "etc-hosts"),
			[]string{"10.4.1.17", "fd00:10:4::11"}, "web-7d4b9c8f6-x2x9q"},
		{"node copy", readFixture(t, "kubelet", "hostroot", "var", "lib", "kubelet", "pods", "1b2c3d4e-0000-4000-8000-000000000002", "etc-hosts"), nil, ""},
		{"empty", "", nil, ""},
		{"header only", "# Kubernetes-managed hosts file.\n", nil, ""},
		{"bad lines", "# Kubernetes-managed hosts file.\nnot-an-ip host\n10.0.0.1\n10.0.0.2 p\n", []string{"10.0.0.2"}, "p"},
	}
	for _, tt := range tests {
		ips, host := parseEtcHosts([]byte(tt.in))
		if diff := cmp.Diff(tt.ips, ips); diff != "" || host != tt.host {
			t.Errorf("%s: parseEtcHosts host %q (want %q), IPs (-want +got):\n%s", tt.name, host, tt.host, diff)
		}
	}
}

func FuzzParseEtcHosts(f *testing.F) {
	f.Add(readFixture(f, "kubelet", "hostroot", "var", "lib", "kubelet", "pods", "1b2c3d4e-0000-4000-8000-000000000001", "etc-hosts"))
	f.Add(readFixture(f, "kubelet", "hostroot", "var", "lib", "kubelet", "pods", "1b2c3d4e-0000-4000-8000-000000000002", "etc-hosts"))
	f.Fuzz(func(t *testing.T, s string) {
		ips, host := parseEtcHosts([]byte(s))
		if len(ips) > 0 && host == "" {
			t.Fatalf("IPs %v without a hostname", ips)
		}
	})
}

func FuzzParsePodLogDir(f *testing.F) {
	f.Add("default_web-0_1b2c3d4e-0000-4000-8000-000000000001")
	f.Add("kube-system_etcd-node1_6ec5f2cd46c3b0f8a54ab9f1c1f5e0a8")
	f.Fuzz(func(t *testing.T, s string) {
		ns, name, uid, ok := parsePodLogDir(s)
		if ok && ns+"_"+name+"_"+uid != s {
			t.Fatalf("%q split into %q %q %q", s, ns, name, uid)
		}
		if !ok && (ns != "" || name != "" || uid != "") {
			t.Fatalf("not ok but a result")
		}
	})
}
