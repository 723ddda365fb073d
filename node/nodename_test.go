package node

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// daemonProc builds a procfs fixture: one directory per process with comm,
// cmdline, a root symlink to its file system and ns/net, a symlink to the
// node netns file (or to another one) so that FindDaemon can match it.
type daemonProc struct {
	t              *testing.T
	proc, rootfs   string
	nodeNet, other string
}

func newDaemonProc(t *testing.T) *daemonProc {
	d := t.TempDir()
	f := &daemonProc{t: t, proc: filepath.Join(d, "proc"), rootfs: filepath.Join(d, "rootfs"),
		nodeNet: filepath.Join(d, "node-net"), other: filepath.Join(d, "other-net")}
	for _, p := range []string{f.proc, f.rootfs} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{f.nodeNet, f.other} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *daemonProc) add(pid, comm string, inNode bool, args ...string) {
	dir := filepath.Join(f.proc, pid)
	if err := os.MkdirAll(filepath.Join(dir, "ns"), 0o755); err != nil {
		f.t.Fatal(err)
	}
	net := f.other
	if inNode {
		net = f.nodeNet
	}
	must(f.t, os.Symlink(net, filepath.Join(dir, "ns/net")))
	must(f.t, os.Symlink(f.rootfs, filepath.Join(dir, "root")))
	must(f.t, os.Symlink("/", filepath.Join(dir, "cwd")))
	must(f.t, os.WriteFile(filepath.Join(dir, "comm"), []byte(comm+"\n"), 0o644))
	must(f.t, os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.Join(append([]string{"/usr/bin/" + comm}, args...), "\x00")+"\x00"), 0o644))
}

// file writes a file into the processes' root file system.
func (f *daemonProc) file(path string, s string) {
	b := []byte(s)
	p := filepath.Join(f.rootfs, path)
	must(f.t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(f.t, os.WriteFile(p, b, 0o600))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// nodeCert is a PEM certificate and key as the kubelet keeps them, with
// subject CN cn.
func nodeCert(t *testing.T, cn string) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{"system:nodes"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})...)
}

func TestNodeName(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(f *daemonProc)
		want, from string
	}{
		{"kubelet hostname-override", func(f *daemonProc) {
			f.add("100", "kubelet", true, "--hostname-override", "Node-A", "--kubeconfig=/etc/kubernetes/kubelet.conf")
		}, "node-a", "kubelet --hostname-override"},
		{"kubeconfig client-certificate", func(f *daemonProc) {
			f.add("100", "kubelet", true, "--kubeconfig=/etc/kubernetes/kubelet.conf")
			f.file("etc/kubernetes/kubelet.conf", "apiVersion: v1\nusers:\n- name: default-auth\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n")
			f.file("var/lib/kubelet/pki/kubelet-client-current.pem", string(nodeCert(t, "system:node:worker-7")))
		}, "worker-7", "kubelet client certificate"},
		{"kubeconfig client-certificate-data", func(f *daemonProc) {
			f.add("100", "kubelet", true, "--kubeconfig", "/etc/kubernetes/kubelet.conf")
			f.file("etc/kubernetes/kubelet.conf", "users:\n- user:\n    client-certificate-data: "+base64.StdEncoding.EncodeToString(nodeCert(t, "system:node:inline-1"))+"\n")
		}, "inline-1", "kubelet client certificate"},
		{"rotated certificate in cert-dir", func(f *daemonProc) {
			f.add("100", "kubelet", true, "--cert-dir=/srv/pki")
			f.file("srv/pki/kubelet-client-current.pem", string(nodeCert(t, "system:node:rotated")))
		}, "rotated", "kubelet client certificate"},
		{"kubelet of another node is ignored", func(f *daemonProc) {
			f.add("90", "kubelet", false, "--hostname-override=other-node")
			f.add("100", "kube-proxy", true, "--hostname-override=proxy-name")
		}, "proxy-name", "kube-proxy --hostname-override"},
		{"kube-proxy config file", func(f *daemonProc) {
			f.add("100", "kube-proxy", true, "--config=/var/lib/kube-proxy/config.conf")
			f.file("var/lib/kube-proxy/config.conf", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nclusterCIDR: 198.18.0.0/16\nhostnameOverride: \"from-config\"\nmode: nftables\n")
		}, "from-config", "kube-proxy /var/lib/kube-proxy/config.conf hostnameOverride"},
		{"host name", func(f *daemonProc) {
			f.add("100", "kubelet", true, "--v=2")
		}, "vm", "host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDaemonProc(t)
			hostRoot := t.TempDir()
			must(t, os.MkdirAll(filepath.Join(hostRoot, "etc"), 0o755))
			must(t, os.WriteFile(filepath.Join(hostRoot, "etc/hostname"), []byte("VM\n"), 0o644))
			tt.setup(f)
			got, from := NodeName(Options{ProcRoot: f.proc, HostRoot: hostRoot, NodeNetNS: f.nodeNet})
			if got != tt.want || !strings.HasPrefix(from, tt.from) {
				t.Errorf("NodeName = %q from %q, want %q from %q…", got, from, tt.want, tt.from)
			}
		})
	}
}

func TestDaemonFlag(t *testing.T) {
	d := &Daemon{Args: []string{"--v=2", "--cluster-cidr", "198.18.0.0/16", "--hostname-override=a", "--hostname-override=b", "--config"}}
	for _, tc := range []struct{ flag, want string }{{"cluster-cidr", "198.18.0.0/16"}, {"hostname-override", "b"}, {"v", "2"}} {
		if v, ok := d.Flag(tc.flag); !ok || v != tc.want {
			t.Errorf("Flag(%q) = %q, %v; want %q", tc.flag, v, ok, tc.want)
		}
	}
	if v, ok := d.Flag("config"); ok {
		t.Errorf("Flag(config) = %q, want not found (no value follows)", v)
	}
}
