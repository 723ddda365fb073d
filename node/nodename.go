package node

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"path/filepath"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
)

// NodeName is the node's name as the kubelet registered it, and where it
// was read. In order: the kubelet's --hostname-override; the CN
// "system:node:NAME" of the kubelet's client certificate (the one its
// --kubeconfig names, else kubelet-client-current.pem in its --cert-dir or
// /var/lib/kubelet/pki); kube-proxy's --hostname-override (or
// hostnameOverride in its config file); the host name (HostRoot/etc/hostname,
// then uname), which is what the kubelet uses when nothing overrides it.
func NodeName(o Options) (name, source string) {
	nodeNet := nodeNetID(o.NodeNetNS)
	if k, err := FindDaemon(o.ProcRoot, "kubelet", nodeNet); err == nil {
		if v, ok := k.Flag("hostname-override"); ok && strings.TrimSpace(v) != "" {
			return strings.ToLower(strings.TrimSpace(v)), "kubelet --hostname-override"
		}
		if n, src := kubeletCertName(k, o.HostRoot); n != "" {
			return n, src
		}
	} else if n, src := certNodeName(filepath.Join(hostRootOr(o.HostRoot), "var/lib/kubelet/pki/kubelet-client-current.pem"), nil); n != "" {
		return n, src
	}
	if p, err := FindDaemon(o.ProcRoot, "kube-proxy", nodeNet); err == nil {
		if v, src := p.Setting("hostname-override", "hostnameOverride", o.HostRoot); strings.TrimSpace(v) != "" {
			return strings.ToLower(strings.TrimSpace(v)), src
		}
	}
	return hostName(o.HostRoot), "host name"
}

func hostRootOr(h string) string {
	if h == "" {
		return "/"
	}
	return h
}

// nodeNetID identifies the node netns at path ("" means PID 1's); zero
// when it cannot be read, which makes FindDaemon accept any netns.
func nodeNetID(path string) nsutil.ID {
	if path == "" {
		path = DefaultNodeNetNS
	}
	id, err := nsutil.StatID(path)
	if err != nil {
		return nsutil.ID{}
	}
	return id
}

// kubeletCertName reads the node name from the kubelet's client
// certificate: the one its kubeconfig names, else the rotated one in its
// certificate directory.
func kubeletCertName(k *Daemon, hostRoot string) (string, string) {
	if kc, ok := k.Flag("kubeconfig"); ok && kc != "" {
		if b, err := k.ReadFile(kc, hostRoot); err == nil {
			if data, ok := yamlScalar(b, "client-certificate-data"); ok {
				if pemBytes, err := base64.StdEncoding.DecodeString(data); err == nil {
					if n := certCN(pemBytes); n != "" {
						return n, "kubelet client certificate (" + kc + ")"
					}
				}
			}
			if cert, ok := yamlScalar(b, "client-certificate"); ok {
				if !filepath.IsAbs(cert) {
					cert = filepath.Join(filepath.Dir(kc), cert)
				}
				if n, src := certNodeName(cert, func(p string) ([]byte, error) { return k.ReadFile(p, hostRoot) }); n != "" {
					return n, src
				}
			}
		}
	}
	dir := "/var/lib/kubelet/pki"
	if d, ok := k.Flag("cert-dir"); ok && d != "" {
		dir = d
	} else if r, ok := k.Flag("root-dir"); ok && r != "" {
		dir = filepath.Join(r, "pki")
	}
	return certNodeName(filepath.Join(dir, "kubelet-client-current.pem"), func(p string) ([]byte, error) { return k.ReadFile(p, hostRoot) })
}

// certNodeName reads a PEM file (certificate and key, as the kubelet keeps
// them) and returns NAME of a certificate whose subject CN is
// "system:node:NAME".
func certNodeName(path string, read func(string) ([]byte, error)) (string, string) {
	if read == nil {
		read = func(p string) ([]byte, error) { return hostfile.ReadFile(p, maxDaemonFile) }
	}
	b, err := read(path)
	if err != nil {
		return "", ""
	}
	if n := certCN(b); n != "" {
		return n, "kubelet client certificate (" + path + ")"
	}
	return "", ""
}

func certCN(b []byte) string {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return ""
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			continue
		}
		if n, ok := strings.CutPrefix(c.Subject.CommonName, "system:node:"); ok && n != "" {
			return n
		}
	}
}

// hostName is HostRoot/etc/hostname, else the kernel's node name, lower
// case as the kubelet makes it.
func hostName(hostRoot string) string {
	if b, err := hostfile.ReadFileInRoot(hostRootOr(hostRoot), "etc/hostname", 4<<10); err == nil {
		if h := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]); h != "" {
			return strings.ToLower(h)
		}
	}
	if n, ok := unameNodename(); ok {
		return strings.ToLower(n)
	}
	return "unknown"
}
