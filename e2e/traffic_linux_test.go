package e2e

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestRealClusterTraffic: a pod on node 2 talks to a Service whose endpoints
// are on both nodes; netdiag captures it in the pod, shows the DNATed flows
// in conntrack, and resolves the Service through CoreDNS with the pod's own
// resolv.conf.
func TestRealClusterTraffic(t *testing.T) {
	testlab.RequireTool(t, "tcpdump", "busybox")
	l := cluster(t)
	var svc apiService
	l.KubectlJSON(t, &svc, "-n", ns, "get", "service", "web")
	vip := svc.Spec.ClusterIP
	var webIPs []string
	for _, i := range []int{1, 2} {
		webIPs = append(webIPs, podOn(t, l, "app=web", i).IP)
	}

	// Capture in the client pod while it fetches the page a few times.
	file := filepath.Join(t.TempDir(), "client.pcap")
	wait := startCapture(t, l, 2, "--pod", ns+"/client", "-w", file, "--duration", "20s", "-c", "30", "tcp port 80")
	pid := strconv.Itoa(podPIDByName(t, l, 2, "client"))
	var pages []string
	for range 6 {
		out, err := exec.Command("nsenter", "-t", pid, "-n", "busybox", "sh", "-c",
			`printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w 3 `+vip+` 80`).CombinedOutput()
		if err != nil {
			t.Fatalf("fetch from the client pod: %v\n%s", err, out)
		}
		pages = append(pages, string(out))
	}
	wait()
	text := testlab.Run(t, "tcpdump", "-nn", "-r", file)
	if !strings.Contains(text, " > "+vip+".80: Flags [S]") {
		t.Errorf("the pod's capture has no SYN to the Service %s:80:\n%s", vip, text)
	}
	if !strings.Contains(text, vip+".80 > ") {
		t.Errorf("the pod's capture has no reply from the Service %s:80:\n%s", vip, text)
	}
	served := 0
	for _, p := range pages {
		if strings.Contains(p, "200 OK") {
			served++
		}
	}
	if served != len(pages) {
		t.Errorf("%d of %d fetches through the Service were served", served, len(pages))
	}

	// conntrack on the client's node: the flows to the VIP, DNATed to pods.
	out, stderrText, code := l.Netdiag(t, 2, netdiag(t), "conntrack", "list", "-d", vip)
	if code != 0 {
		t.Fatalf("conntrack list -d %s: exit %d: %s", vip, code, stderrText)
	}
	dnat := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "dst="+vip+" ") {
			continue
		}
		for _, ip := range webIPs {
			if strings.Contains(line, "src="+ip+" ") {
				dnat++
			}
		}
	}
	if dnat == 0 {
		t.Errorf("conntrack list -d %s shows no flow DNATed to a web pod %v:\n%s", vip, webIPs, out)
	}

	// DNS: "web" through the pod's search list (ndots:5) to CoreDNS.
	out, stderrText, code = l.Netdiag(t, 2, netdiag(t), "dns", "--pod", ns+"/client", "web")
	if code != 0 {
		t.Fatalf("dns --pod %s/client web: exit %d: %s\n%s", ns, code, stderrText, out)
	}
	if !strings.Contains(out, "web."+ns+".svc.cluster.local.") || !strings.Contains(out, vip) {
		t.Errorf("dns --pod %s/client web: no answer web.%s.svc.cluster.local. → %s:\n%s", ns, ns, vip, out)
	}
	if !strings.Contains(out, l.DNSIP) {
		t.Errorf("dns --pod: the answer does not name the cluster DNS %s:\n%s", l.DNSIP, out)
	}
}

// podPIDByName is a process of the named pod in the test namespace on node i.
func podPIDByName(t *testing.T, l *testlab.K8sLab, i int, name string) int {
	t.Helper()
	var p apiPod
	l.KubectlJSON(t, &p, "-n", ns, "get", "pod", name)
	return podPID(t, l, i, labPod{Name: name, UID: p.Metadata.UID})
}

// startCapture starts `netdiag capture ARGS` on node i and waits for its
// "listening on" line; the function it returns waits for the capture to
// end, which must be a clean one.
func startCapture(t *testing.T, l *testlab.K8sLab, i int, args ...string) (wait func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	capture := l.Command(t, ctx, i, netdiag(t), append([]string{"--node-netns", l.Node(t, i).NetNS, "capture"}, args...)...)
	stderr, err := capture.StderrPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := capture.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() || !strings.Contains(lines.Text(), "listening on") {
		cancel()
		capture.Wait()
		t.Fatalf("capture did not start: %q", lines.Text())
	}
	return func() {
		t.Helper()
		defer cancel()
		for lines.Scan() {
			t.Logf("capture: %s", lines.Text())
		}
		if err := capture.Wait(); err != nil {
			t.Fatalf("capture: %v", err)
		}
	}
}
