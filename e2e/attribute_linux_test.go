package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
)

// duo is one pod with two containers, each its own server process.
const duo = `
apiVersion: v1
kind: Pod
metadata: {name: duo, namespace: nd-e2e}
spec:
  nodeName: nd-node1
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: IMAGE, imagePullPolicy: Never, command: [httpd, -f, -p, "7001", -h, /]}
  - {name: b, image: IMAGE, imagePullPolicy: Never, command: [httpd, -f, -p, "7002", -h, /]}
`

// TestRealClusterAttribute: capture --attribute on node 1 names, for each
// flow, the pod, container and process that holds its local end: two
// processes of one pod (containers a and b of duo) and another pod (web);
// a flow to a port no socket holds (a refused connection) is "owner
// unknown".
func TestRealClusterAttribute(t *testing.T) {
	testlab.RequireTool(t, "busybox")
	l := cluster(t)
	l.Apply(t, strings.ReplaceAll(duo, "IMAGE", l.Image))
	defer l.Kubectl(t, "-n", ns, "delete", "pod", "duo", "--wait=true", "--timeout=60s")
	l.Kubectl(t, "-n", ns, "wait", "--for=condition=Ready", "pod/duo", "--timeout=120s")
	var p apiPod
	l.KubectlJSON(t, &p, "-n", ns, "get", "pod", "duo")
	duoIP := p.Status.PodIPs[0].IP
	web := podOn(t, l, "app=web", 1)

	file := filepath.Join(t.TempDir(), "attr.pcapng")
	wait := startCapture(t, l, 1, "-i", "any", "--attribute", "--pcapng", "-w", file, "--duration", "15s",
		"host "+duoIP+" or host "+web.IP)
	client := strconv.Itoa(podPIDByName(t, l, 2, "client"))
	// busybox nc, as TestRealClusterTraffic: this busybox's wget crashes
	// in a netns of its own, and its nc has no UDP.
	for _, target := range []string{duoIP + " 7001", duoIP + " 7002", web.IP + " 8080", duoIP + " 9999"} {
		out, err := exec.Command("nsenter", "-t", client, "-n", "busybox", "sh", "-c",
			`printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w 3 `+target).CombinedOutput()
		if err != nil && !strings.HasSuffix(target, " 9999") {
			t.Errorf("fetch from %s: %v\n%s", target, err, out)
		}
	}
	wait()

	comments := map[string]string{} // first comment by the server end "IP:PORT"
	r := openPcapng(t, file)
	for {
		pkt, err := r.Next()
		if err != nil {
			break
		}
		if pkt.Comment == "" {
			continue
		}
		for _, end := range []string{duoIP + ":7001", duoIP + ":7002", web.IP + ":8080", duoIP + ":9999"} {
			if _, seen := comments[end]; !seen && containsEnd(pkt.Data, end) {
				comments[end] = pkt.Comment
			}
		}
	}
	for end, want := range map[string][]string{
		duoIP + ":7001":  {"pod=" + ns + "/duo container=a pid=", "comm=httpd"},
		duoIP + ":7002":  {"pod=" + ns + "/duo container=b pid=", "comm=httpd"},
		web.IP + ":8080": {"pod=" + ns + "/" + web.Name + " container=", "pid="},
		duoIP + ":9999":  {"pod=" + ns + "/duo owner unknown"},
	} {
		c, ok := comments[end]
		if !ok {
			t.Errorf("no packet comment for the flow to %s (comments %q)", end, comments)
			continue
		}
		for _, w := range want {
			if !strings.Contains(c, w) {
				t.Errorf("flow to %s: comment %q, want %q in it", end, c, w)
			}
		}
	}
}

// containsEnd reports whether an SLL2 frame's IPv4 packet has addr:port as
// its source or destination.
func containsEnd(b []byte, end string) bool {
	host, port, _ := strings.Cut(end, ":")
	if len(b) < 20+24 {
		return false
	}
	ip := b[20:]
	p, _ := strconv.Atoi(port)
	h := ipv4Bytes(host)
	ihl := int(ip[0]&0xf) * 4
	if len(ip) < ihl+4 {
		return false
	}
	sport, dport := int(ip[ihl])<<8|int(ip[ihl+1]), int(ip[ihl+2])<<8|int(ip[ihl+3])
	return string(ip[12:16]) == h && sport == p || string(ip[16:20]) == h && dport == p
}

func ipv4Bytes(s string) string {
	var b []byte
	for _, f := range strings.Split(s, ".") {
		n, _ := strconv.Atoi(f)
		b = append(b, byte(n))
	}
	return string(b)
}

func openPcapng(t *testing.T, file string) pcapio.Reader {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
