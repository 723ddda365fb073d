package e2e

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestRealClusterCaptureNames: a pcapng capture on a node names, for
// Wireshark, every pod of that node by NAME.NAMESPACE and every Service VIP
// by NAME.NAMESPACE.svc, as the API server names them.
func TestRealClusterCaptureNames(t *testing.T) {
	testlab.RequireTool(t, "tshark", "busybox")
	l := cluster(t)
	var svc apiService
	l.KubectlJSON(t, &svc, "-n", ns, "get", "service", "web")
	vip := svc.Spec.ClusterIP
	want := map[string]string{vip: "web." + ns + ".svc"}
	var pods struct{ Items []apiPod }
	l.KubectlJSON(t, &pods, "get", "pods", "-A", "--field-selector", "spec.nodeName="+l.Node(t, 2).Name)
	for _, p := range pods.Items {
		if p.Spec.HostNetwork || p.Status.Phase != "Running" {
			continue
		}
		for _, ip := range p.Status.PodIPs {
			want[ip.IP] = p.Metadata.Name + "." + p.Metadata.Namespace
		}
	}

	file := filepath.Join(t.TempDir(), "node2.pcapng")
	wait := startCapture(t, l, 2, "-i", "any", "--pcapng", "-w", file, "--duration", "15s", "-c", "60", "tcp port 80 or tcp port 8080")
	pid := strconv.Itoa(podPIDByName(t, l, 2, "client"))
	for range 4 {
		out, err := exec.Command("nsenter", "-t", pid, "-n", "busybox", "sh", "-c",
			`printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w 3 `+vip+` 80`).CombinedOutput()
		if err != nil {
			t.Fatalf("fetch from the client pod: %v\n%s", err, out)
		}
	}
	wait()
	out, err := exec.Command("tshark", "-r", file, "-N", "n", "-T", "fields",
		"-e", "ip.src", "-e", "ip.src_host", "-e", "ip.dst", "-e", "ip.dst_host").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			continue
		}
		for _, pair := range [][2]string{{f[0], f[1]}, {f[2], f[3]}} {
			name, ok := want[pair[0]]
			if !ok {
				continue // another node's pod: this node does not know it
			}
			seen[pair[0]] = true
			if pair[1] != name {
				t.Errorf("%s shows as %q in tshark -N n, want %q", pair[0], pair[1], name)
			}
		}
	}
	if !seen[vip] {
		t.Errorf("no packet to the Service VIP %s in the capture:\n%s", vip, out)
	}
	var client apiPod
	l.KubectlJSON(t, &client, "-n", ns, "get", "pod", "client")
	if ip := client.Status.PodIPs[0].IP; !seen[ip] {
		t.Errorf("no packet of the client pod %s in the capture:\n%s", ip, out)
	}
}
