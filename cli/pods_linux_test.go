package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/show"
)

func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestPodsLab(t *testing.T) {
	lab := testlab.NewLab(t, 3)

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := run(t, "", labArgs(lab, "-o", "json", "pods")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var got struct {
			Pods []node.Pod `json:"pods"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("decode: %v\n%s", err, stdout)
		}
		if len(got.Pods) != len(lab.Pods) {
			t.Fatalf("got %d pods, want %d:\n%s", len(got.Pods), len(lab.Pods), stdout)
		}
		for i, lp := range lab.Pods {
			p := got.Pods[i] // sorted by namespace/name: web-0, web-1, web-2
			want := struct {
				Namespace, Name, UID, IP string
				PID                      int
				Inode                    uint64
				Iface, Veth, Master      string
				Sources                  []string
				Container                string
			}{lp.Namespace, lp.Name, lp.UID, lp.IP, lp.PID, inodeOf(t, lp.NetNS), "eth0", lp.HostVeth, lab.Bridge,
				[]string{node.SourceKubelet, node.SourceCgroup, node.SourceNetNS}, lp.ContainerID}
			gotv := want
			gotv.Namespace, gotv.Name, gotv.UID, gotv.PID, gotv.Inode, gotv.Sources = p.Namespace, p.Name, p.UID, p.PID, p.NetNS.Inode, p.Sources
			gotv.IP = strings.Join(p.IPs, ",")
			gotv.Iface, gotv.Veth, gotv.Master, gotv.Container = "", "", "", ""
			if p.Interface != nil {
				gotv.Iface = p.Interface.Name
			}
			if p.HostInterface != nil {
				gotv.Veth, gotv.Master = p.HostInterface.Name, p.HostInterface.Master
			}
			if len(p.Containers) == 1 {
				gotv.Container = p.Containers[0].ID
			}
			if diff := cmp.Diff(want, gotv); diff != "" {
				t.Errorf("pod %d (-want +got):\n%s", i, diff)
			}
		}
	})

	t.Run("table and sources", func(t *testing.T) {
		code, stdout, stderr := run(t, "", labArgs(lab, "-v", "pods")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAMESPACE  NAME") {
			t.Fatalf("table:\n%s", stdout)
		}
		for i, lp := range lab.Pods {
			f := strings.Fields(lines[i+1])
			want := []string{lp.Namespace, lp.Name, lp.IP, strconv.Itoa(lp.PID), strconv.FormatUint(inodeOf(t, lp.NetNS), 10), "eth0", "1500", lp.HostVeth, lab.Bridge}
			if diff := cmp.Diff(want, f); diff != "" {
				t.Errorf("row %d (-want +got):\n%s", i, diff)
			}
		}
		// No CRI socket in the lab: the pods come from the netns scan and cgroups.
		for _, w := range []string{"sources: [kubelet cgroup netns]", "CRI: no runtime socket found"} {
			if !strings.Contains(stderr, w) {
				t.Errorf("stderr does not say %q:\n%s", w, stderr)
			}
		}
	})

	pod := lab.Pods[1]
	t.Run("selectors", func(t *testing.T) {
		for _, sel := range [][]string{
			{"--pod-ip", pod.IP},
			{"--pod", pod.Namespace + "/" + pod.Name},
			{"--pod", pod.Name},
			{"--pod-uid", pod.UID},
			{"--pid", strconv.Itoa(pod.PID)},
			{"--netns", pod.NetNS},
			{"--pod-ip", pod.IP, "--pod", pod.Name},
		} {
			code, stdout, stderr := run(t, "", labArgs(lab, append([]string{"ip", "addr"}, sel...)...)...)
			if code != 0 || !strings.Contains(stdout, "inet "+pod.IP+"/24") {
				t.Errorf("ip addr %v: exit %d, stdout:\n%s\nstderr: %s", sel, code, stdout, stderr)
			}
			for _, other := range []testlab.LabPod{lab.Pods[0], lab.Pods[2]} {
				if strings.Contains(stdout, other.IP+"/") {
					t.Errorf("ip addr %v shows another pod's address %s", sel, other.IP)
				}
			}
		}
	})

	t.Run("ip", func(t *testing.T) {
		code, stdout, stderr := run(t, "", labArgs(lab, "ip", "route", "--pod-ip", pod.IP)...)
		if code != 0 || !strings.Contains(stdout, "default via "+lab.Gateway+" dev eth0") {
			t.Errorf("ip route: exit %d\n%s%s", code, stdout, stderr)
		}
		code, stdout, stderr = run(t, "", labArgs(lab, "-o", "json", "ip", "addr", "--pod-ip", pod.IP)...)
		if code != 0 {
			t.Fatalf("ip addr json: exit %d: %s", code, stderr)
		}
		var got struct {
			Links []show.Link `json:"links"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range got.Links {
			for _, a := range l.Addrs {
				if l.Name == "eth0" && a.Local == pod.IP && a.PrefixLen == 24 && l.Kind == "veth" {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("ip addr json has no eth0 veth with %s/24:\n%s", pod.IP, stdout)
		}
		// The node side: the bridge and the pod's host veth.
		code, stdout, _ = run(t, "", labArgs(lab, "ip", "link")...)
		if code != 0 || !strings.Contains(stdout, pod.HostVeth+"@if") || !strings.Contains(stdout, "master "+lab.Bridge) {
			t.Errorf("node ip link: exit %d\n%s", code, stdout)
		}
		code, _, stderr = run(t, "", labArgs(lab, "ip", "neigh", "--pod-ip", pod.IP)...)
		if code != 0 {
			t.Errorf("ip neigh: exit %d: %s", code, stderr)
		}
	})

	t.Run("exec", func(t *testing.T) {
		testlab.RequireTool(t, "ip", "sh", "cat")
		code, stdout, stderr := run(t, "", labArgs(lab, "exec", "--pod-ip", pod.IP, "--", "ip", "-o", "addr")...)
		if code != 0 || !strings.Contains(stdout, "inet "+pod.IP+"/24") {
			t.Errorf("exec ip -o addr: exit %d\n%s%s", code, stdout, stderr)
		}
		if strings.Contains(stdout, lab.Pods[0].IP+"/") {
			t.Errorf("exec ran in the wrong netns:\n%s", stdout)
		}
		code, stdout, stderr = run(t, "hello from stdin\n", labArgs(lab, "exec", "--pod", pod.Name, "--", "sh", "-c", "cat; echo to-stderr >&2; exit 7")...)
		if code != 7 || stdout != "hello from stdin\n" || stderr != "to-stderr\n" {
			t.Errorf("exec passthrough: exit %d, stdout %q, stderr %q; want 7, stdin echoed, to-stderr", code, stdout, stderr)
		}
		code, _, stderr = run(t, "", labArgs(lab, "exec", "--pod-ip", pod.IP, "--", "no-such-binary-netdiag")...)
		if code != 127 {
			t.Errorf("exec of a missing binary: exit %d, want 127", code)
		}
		oneLine(t, stderr, "no-such-binary-netdiag")
		code, _, stderr = run(t, "", labArgs(lab, "exec", "--pod-ip", pod.IP)...)
		if code != ExitUsage {
			t.Errorf("exec without a command: exit %d, want 2", code)
		}
		oneLine(t, stderr, "needs a command")
	})

	t.Run("bad input", func(t *testing.T) {
		tests := []struct {
			args []string
			code int
			want []string
		}{
			{[]string{"ip", "addr", "--pod-ip", "198.18.0.250"}, ExitError, []string{"no such pod", "--pod-ip 198.18.0.250", "closest: ", lab.Pods[2].IP}},
			{[]string{"ip", "addr", "--pod-ip", "198.18.0.999"}, ExitUsage, []string{"not an IP address"}},
			{[]string{"exec", "--pod-ip", "not-an-ip", "--", "true"}, ExitUsage, []string{"not an IP address"}},
			{[]string{"ip", "addr", "--pod", "default/web-99"}, ExitError, []string{"no such pod", "closest: default/web-"}},
			{[]string{"ip", "addr", "--pod-uid", "00000000-0000-0000-0000-000000000000"}, ExitError, []string{"no such pod"}},
			{[]string{"ip", "addr", "--pid", "1"}, ExitError, []string{"process 1 runs in no pod"}},
			{[]string{"ip", "addr", "--netns", "/etc/hostname"}, ExitUsage, []string{"not a network namespace"}},
			{[]string{"ip", "addr", "--pod-ip", pod.IP, "--pod", lab.Pods[0].Name}, ExitError, []string{"no such pod"}},
			{[]string{"pods", "extra"}, ExitUsage, []string{"no arguments"}},
			{[]string{"ip", "route", "-f", "ipx"}, ExitUsage, []string{"unknown family"}},
		}
		for _, tt := range tests {
			code, stdout, stderr := run(t, "", labArgs(lab, tt.args...)...)
			if code != tt.code {
				t.Errorf("%v: exit %d, want %d; stderr %s", tt.args, code, tt.code, stderr)
			}
			if stdout != "" {
				t.Errorf("%v: stdout %q, want nothing", tt.args, stdout)
			}
			oneLine(t, stderr, tt.want...)
		}
	})

	t.Run("ambiguous name", func(t *testing.T) {
		// Move pod 2 to namespace "other" under pod 0's name, as kubelet's
		// log directory would show two pods called web-0.
		logs := filepath.Join(lab.HostRoot, "var", "log", "pods")
		p2 := lab.Pods[2]
		from := filepath.Join(logs, p2.Namespace+"_"+p2.Name+"_"+p2.UID)
		to := filepath.Join(logs, "other_"+lab.Pods[0].Name+"_"+p2.UID)
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
		defer os.Rename(to, from)
		code, stdout, stderr := run(t, "", labArgs(lab, "ip", "addr", "--pod", lab.Pods[0].Name)...)
		if code != ExitUsage || stdout != "" {
			t.Errorf("ambiguous --pod: exit %d (want 2), stdout %q", code, stdout)
		}
		oneLine(t, stderr, "matches 2 pods", "default/"+lab.Pods[0].Name, "other/"+lab.Pods[0].Name)
		code, stdout, _ = run(t, "", labArgs(lab, "ip", "addr", "--pod", "other/"+lab.Pods[0].Name)...)
		if code != 0 || !strings.Contains(stdout, p2.IP+"/24") {
			t.Errorf("--pod other/NAME: exit %d\n%s", code, stdout)
		}
	})

	t.Run("pod deleted between lookup and use", func(t *testing.T) {
		victim := lab.Pods[2]
		afterResolve = func(p *node.Pod) {
			// The lab started this process; the test owns it.
			if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
				t.Errorf("kill pod process: %v", err)
			}
			for i := 0; i < 100; i++ {
				if _, err := os.Stat("/proc/" + strconv.Itoa(victim.PID) + "/ns/net"); err != nil {
					break
				}
				exec.Command("sleep", "0.02").Run()
			}
			testlab.Run(t, "ip", "netns", "del", victim.NetNSName)
		}
		defer func() { afterResolve = nil }()
		code, stdout, stderr := run(t, "", labArgs(lab, "exec", "--pod-ip", victim.IP, "--", "true")...)
		if code != ExitError || stdout != "" {
			t.Errorf("deleted pod: exit %d (want 1), stdout %q", code, stdout)
		}
		oneLine(t, stderr, "pod is gone", victim.Name, "no process and no bind mount holds its network namespace", "run `netdiag pods` to find it again")
	})
}

// TestNoPermission runs netdiag as an unprivileged user: one line that names
// the capabilities, exit 1.
func TestNoPermission(t *testing.T) {
	testlab.RequireRoot(t)
	dir, err := os.MkdirTemp("", "netdiag-noperm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "cli.test")
	copyFile(t, self, bin)
	for _, args := range [][]string{
		{"pods"},
		{"ip", "addr", "--pod-ip", "198.18.0.10"},
		{"exec", "--pod-ip", "198.18.0.10", "--", "true"},
	} {
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), "NETDIAG_CLI_TEST_MAIN="+strings.Join(args, "\x1f"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors_As(err, &ee) {
			t.Fatalf("%v: %v", args, err)
		}
		if code := cmd.ProcessState.ExitCode(); code != ExitError {
			t.Errorf("%v as nobody: exit %d, want 1; stderr %s", args, code, stderr.String())
		}
		if stdout.String() != "" {
			t.Errorf("%v as nobody: stdout %q", args, stdout.String())
		}
		oneLine(t, stderr.String(), "CAP_SYS_ADMIN", "run as root")
	}
}

func errors_As(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// init lets TestNoPermission run Main in a child process as another user.
func init() {
	if a := os.Getenv("NETDIAG_CLI_TEST_MAIN"); a != "" {
		os.Exit(Main(append([]string{"netdiag"}, strings.Split(a, "\x1f")...), os.Stdin, os.Stdout, os.Stderr))
	}
}

// TestPodsUnderProcessChurn runs 200 netdiag binaries at once (100 `pods`,
// 100 `ip addr --pod-ip`) while short-lived processes hold and leave the
// lowest PIDs of every pod's netns, as exec probes do after PID wraparound
// (see node's TestDiscoveryUnderProcessChurn). Every run must be right.
func TestPodsUnderProcessChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("200 parallel runs under churn")
	}
	const pods, runs = 4, 200
	testlab.RequireRoot(t)
	bin := netdiagBinary(t)
	flippers := testlab.StartFlippers(t, 3*pods, 10*time.Minute)
	lab := testlab.NewLab(t, pods)
	var paths []string
	for _, lp := range lab.Pods {
		paths = append(paths, lp.NetNS)
	}
	flippers.Flip(t, paths)
	testlab.StartExecChurn(t, paths, 10*time.Minute, 200_000)

	type result struct {
		args           []string
		err            error
		stdout, stderr string
	}
	results := make(chan result, runs)
	for i := 0; i < runs; i++ {
		args := labArgs(lab, "-o", "json", "pods")
		if i%2 == 1 {
			args = labArgs(lab, "-o", "json", "ip", "addr", "--pod-ip", lab.Pods[i%pods].IP)
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var stdout, stderr strings.Builder
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			results <- result{args, err, stdout.String(), stderr.String()}
		}()
	}
	var wrong []string
	for i := 0; i < runs; i++ {
		r := <-results
		if err := checkChurnRun(lab, r.args, r.err, r.stdout); err != nil {
			wrong = append(wrong, fmt.Sprintf("%v: %v\nstderr: %s", r.args[len(lab.NetdiagArgs()):], err, r.stderr))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d of %d runs wrong; the first: %s", len(wrong), runs, wrong[0])
	}
}

// checkChurnRun checks one run of TestPodsUnderProcessChurn: `pods` lists
// every lab pod with its IP and process, `ip addr --pod-ip IP` shows eth0
// with IP.
func checkChurnRun(lab *testlab.Lab, args []string, runErr error, stdout string) error {
	if runErr != nil {
		return runErr
	}
	if slices.Contains(args, "pods") {
		var got struct {
			Pods []node.Pod `json:"pods"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			return fmt.Errorf("decode: %v", err)
		}
		if len(got.Pods) != len(lab.Pods) {
			return fmt.Errorf("listed %d pods, want %d", len(got.Pods), len(lab.Pods))
		}
		for i, lp := range lab.Pods {
			p := got.Pods[i]
			if p.UID != lp.UID || p.Name != lp.Name || !slices.Equal(p.IPs, []string{lp.IP}) || p.PID != lp.PID {
				return fmt.Errorf("pod %d = %s %v PID %d, want %s %s PID %d", i, p.FullName(), p.IPs, p.PID, lp.Name, lp.IP, lp.PID)
			}
		}
		return nil
	}
	ip := args[len(args)-1]
	var got struct {
		Links []show.Link `json:"links"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		return fmt.Errorf("decode: %v", err)
	}
	for _, l := range got.Links {
		for _, a := range l.Addrs {
			if l.Name == "eth0" && a.Local == ip {
				return nil
			}
		}
	}
	return fmt.Errorf("no eth0 with %s in %s", ip, stdout)
}
