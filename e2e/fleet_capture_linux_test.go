package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
)

// TestFleetCapture captures Service web on both nodes of its endpoints
// while the client pod on node 2 calls it, and expects one pcapng that
// tshark reads, with both nodes' interfaces, the pods' names, and every
// request and reply exactly once on the interface of the pod that served
// it.
func TestFleetCapture(t *testing.T) {
	l, bin := fleetLab(t)
	testlab.RequireTool(t, "tshark")
	file := filepath.Join(t.TempDir(), "web.pcapng")
	const requests = 8
	fleetCapture(t, l, bin, requests, "capture", "--service", ns+"/web", "-w", file, "tcp port 8080")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("Clock offsets")) {
		t.Error("no clock offsets in the section comment")
	}

	client := podIP(t, l, "client")
	out := tshark(t, "-r", file, "-T", "fields", "-E", "separator=|", "-e", "frame.interface_name",
		"-e", "ip.src", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "http.request.method", "-e", "http.response.code")
	ifaces := map[string]bool{}
	reqs := map[string][]string{} // client port → interfaces that saw its request
	reps := map[string][]string{} // client port → interfaces that saw its reply
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 6 {
			continue
		}
		ifaces[strings.SplitN(f[0], "/", 2)[0]] = true
		switch {
		case f[4] == "GET" && f[1] == client:
			reqs[f[2]] = append(reqs[f[2]], f[0])
		case f[5] != "" && f[3] != "8080":
			reps[f[3]] = append(reps[f[3]], f[0])
		}
	}
	if !ifaces["nd-node1"] || !ifaces["nd-node2"] {
		t.Errorf("packets on the interfaces of nodes %v, want nd-node1 and nd-node2", ifaces)
	}
	if len(reqs) != requests {
		t.Errorf("%d requests from the client in the file, want %d: %v", len(reqs), requests, reqs)
	}
	for port, in := range reqs {
		if len(in) != 1 || len(reps[port]) != 1 || reps[port][0] != in[0] {
			t.Errorf("client port %s: request on %v, reply on %v; want each once, on one interface", port, in, reps[port])
		}
	}
	hosts := tshark(t, "-r", file, "-q", "-z", "hosts")
	for _, name := range []string{"client." + ns, "web-", "web." + ns + ".svc"} {
		if !strings.Contains(hosts+"\n", name) {
			t.Errorf("no name %q in the file's name resolution:\n%s", name, hosts)
		}
	}
	waitNoToolPods(t, l, 90*time.Second)
}

func tshark(t *testing.T, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("tshark", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}

func podIP(t *testing.T, l *testlab.K8sLab, name string) string {
	t.Helper()
	var p struct {
		Status struct{ PodIP string } `json:"status"`
	}
	l.KubectlJSON(t, &p, "-n", ns, "get", "pod", name)
	if p.Status.PodIP == "" {
		t.Fatal(fmt.Sprintf("pod %s has no IP", name))
	}
	return p.Status.PodIP
}

// fleetCapture runs `kubectl netdiag ARGS` (a capture) while the client
// pod on node 2 fetches Service web's page n times, then stops it with
// SIGINT, which must end it cleanly.
func fleetCapture(t *testing.T, l *testlab.K8sLab, bin string, n int, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := plugin(t, ctx, l, bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	capturing := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		closed := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !closed && strings.Contains(sc.Text(), "capturing on") {
				close(capturing)
				closed = true
			}
		}
		if !closed {
			close(capturing)
		}
	}()
	select {
	case <-capturing:
	case <-ctx.Done():
	}
	vip := serviceIP(t, l, "web")
	for i := 0; i < n; i++ {
		l.Kubectl(t, "-n", ns, "exec", "client", "--", "wget", "-q", "-O", "/dev/null", "http://"+vip+"/")
	}
	// The last replies are in the nodes' rings; SIGINT lets every capture
	// write them out and end its stream.
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	t.Logf("kubectl-netdiag %s: %v; stderr:\n%s", strings.Join(args, " "), werr, log.String())
	if werr != nil {
		t.Fatalf("capture ended with %v", werr)
	}
}

func serviceIP(t *testing.T, l *testlab.K8sLab, name string) string {
	t.Helper()
	var svc struct {
		Spec struct{ ClusterIP string } `json:"spec"`
	}
	l.KubectlJSON(t, &svc, "-n", ns, "get", "service", name)
	return svc.Spec.ClusterIP
}

// TestFleetCaptureClients: with --clients the client's node captures too,
// so the requests to the Service's VIP, before kube-proxy rewrites them,
// are in the file on the client node's interfaces.
func TestFleetCaptureClients(t *testing.T) {
	l, bin := fleetLab(t)
	testlab.RequireTool(t, "tshark")
	file := filepath.Join(t.TempDir(), "clients.pcapng")
	fleetCapture(t, l, bin, 3, "capture", "--service", ns+"/web", "--clients", "-w", file, "tcp")
	vip := serviceIP(t, l, "web")
	out := tshark(t, "-r", file, "-Y", "ip.dst == "+vip+" && tcp.flags.syn == 1 && tcp.flags.ack == 0",
		"-T", "fields", "-e", "frame.interface_name")
	onClientNode := 0
	for _, iface := range strings.Fields(out) {
		if strings.HasPrefix(iface, l.Node(t, 2).Name+"/") {
			onClientNode++
		}
	}
	if onClientNode < 3 {
		t.Errorf("%d SYNs to the VIP %s on the client node's interfaces, want at least 3 (one per request); SYNs to the VIP by interface:\n%s", onClientNode, vip, out)
	}
	waitNoToolPods(t, l, 90*time.Second)
}
