package testlab

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLab(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    *Lab
		wantErr bool
	}{
		{
			name: "one pod",
			in: `{"name":"x","nodeNetnsName":"ndlab-x","nodeNetns":"/var/run/netns/ndlab-x","hostRoot":"/r","bridge":"cbr0",
				"gateway":"198.18.0.1","subnet":"198.18.0.0/24","cgroupRoots":["/sys/fs/cgroup/pids/ndlab-x"],
				"pods":[{"namespace":"default","name":"web-0","uid":"u","ip":"198.18.0.10","netnsName":"ndlab-x-p0",
				"netns":"/var/run/netns/ndlab-x-p0","hostVeth":"veth01234567","sandboxId":"s","containerId":"c",
				"containerName":"app","pid":42,"cgroup":"/ndlab-x/kubepods/besteffort/podu/c"}]}`,
			want: &Lab{Name: "x", NodeNetNSName: "ndlab-x", NodeNetNS: "/var/run/netns/ndlab-x", HostRoot: "/r",
				Bridge: "cbr0", Gateway: "198.18.0.1", Subnet: "198.18.0.0/24", CgroupRoots: []string{"/sys/fs/cgroup/pids/ndlab-x"},
				Pods: []LabPod{{Namespace: "default", Name: "web-0", UID: "u", IP: "198.18.0.10", NetNSName: "ndlab-x-p0",
					NetNS: "/var/run/netns/ndlab-x-p0", HostVeth: "veth01234567", SandboxID: "s", ContainerID: "c",
					ContainerName: "app", PID: 42, Cgroup: "/ndlab-x/kubepods/besteffort/podu/c"}}},
		},
		{name: "not json", in: "lab.sh: no lab", wantErr: true},
		{name: "no name", in: `{"nodeNetns":"/n","hostRoot":"/r"}`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLab([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseLab: err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Lab{}), cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".down"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("parseLab (-want +got):\n%s", diff)
			}
		})
	}
}

func TestModuleRoot(t *testing.T) {
	root := ModuleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "scripts", "lab.sh")); err != nil {
		t.Errorf("module root %s has no scripts/lab.sh: %v", root, err)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st.Ino
}

func TestLab(t *testing.T) {
	RequireRoot(t)
	RequireTool(t, "busybox")
	l := NewLab(t, 3)
	other := NewLab(t, 1) // a second lab at the same time must not interfere

	if l.NodeNetNS == other.NodeNetNS || l.Pods[0].NetNS == other.Pods[0].NetNS {
		t.Fatalf("two labs share a namespace: %s %s", l.NodeNetNS, other.NodeNetNS)
	}
	for _, p := range l.Pods {
		cg, err := os.ReadFile("/proc/" + itoa(p.PID) + "/cgroup")
		if err != nil {
			t.Fatalf("pod %s: %v", p.Name, err)
		}
		wantSuffix := "/kubepods/besteffort/pod" + p.UID + "/" + p.ContainerID
		if !strings.Contains(string(cg), wantSuffix) {
			t.Errorf("pod %s: /proc/%d/cgroup lacks %s:\n%s", p.Name, p.PID, wantSuffix, cg)
		}
		if a, b := inode(t, "/proc/"+itoa(p.PID)+"/ns/net"), inode(t, p.NetNS); a != b {
			t.Errorf("pod %s: process %d is in netns inode %d, want %d (%s)", p.Name, p.PID, a, b, p.NetNS)
		}
		link := Run(t, "ip", "-n", l.NodeNetNSName, "-o", "link", "show", "dev", p.HostVeth)
		if !strings.Contains(link, "master "+l.Bridge) {
			t.Errorf("pod %s: host veth %s not on %s: %s", p.Name, p.HostVeth, l.Bridge, link)
		}
		hosts, err := os.ReadFile(filepath.Join(l.HostRoot, "var/lib/kubelet/pods", p.UID, "etc-hosts"))
		if err != nil || !strings.HasPrefix(string(hosts), "# Kubernetes-managed hosts file.") || !strings.Contains(string(hosts), p.IP+"\t"+p.Name) {
			t.Errorf("pod %s: etc-hosts (err %v):\n%s", p.Name, err, hosts)
		}
		logf := filepath.Join(l.HostRoot, "var/log/pods", p.Namespace+"_"+p.Name+"_"+p.UID, p.ContainerName, "0.log")
		if _, err := os.Stat(logf); err != nil {
			t.Errorf("pod %s: %v", p.Name, err)
		}
	}
	// Every pod reaches the others and the gateway over the bridge.
	for _, from := range l.Pods {
		for _, to := range append(l.Pods, LabPod{Name: "gateway", IP: l.Gateway}) {
			if to.IP == from.IP {
				continue
			}
			NSEnter(t, from.NetNS, "busybox", "ping", "-c", "1", "-W", "1", to.IP)
		}
	}

	other.Down(t)
	// The first lab is untouched by the second one's down.
	NSEnter(t, l.Pods[0].NetNS, "busybox", "ping", "-c", "1", "-W", "1", l.Pods[1].IP)

	l.Down(t)
	for _, lab := range []*Lab{l, other} {
		left := []string{lab.NodeNetNS, lab.HostRoot}
		left = append(left, lab.CgroupRoots...)
		for _, p := range lab.Pods {
			left = append(left, p.NetNS)
			if running(p.PID, "/ndlab-"+lab.Name+"/") {
				t.Errorf("after down: pod %s process %d still runs", p.Name, p.PID)
			}
		}
		for _, path := range left {
			if _, err := os.Stat(path); err == nil {
				t.Errorf("after down: %s still exists", path)
			}
		}
	}
}

// running reports whether pid is a live (not zombie) process whose cgroup path
// contains cgroup, so a reused PID does not count.
func running(pid int, cgroup string) bool {
	stat, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	if i := strings.LastIndexByte(string(stat), ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
		return false
	}
	cg, _ := os.ReadFile("/proc/" + itoa(pid) + "/cgroup")
	return strings.Contains(string(cg), cgroup)
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestLabMany brings up the 200 pods the benchmarks use.
func TestLabMany(t *testing.T) {
	RequireRoot(t)
	RequireTool(t, "busybox")
	l := NewLab(t, 200)
	seen := map[string]bool{}
	for _, p := range l.Pods {
		if seen[p.IP] || seen[p.HostVeth] || seen[p.UID] {
			t.Fatalf("pod %s repeats an IP, veth or UID: %+v", p.Name, p)
		}
		seen[p.IP], seen[p.HostVeth], seen[p.UID] = true, true, true
		if !running(p.PID, p.ContainerID) {
			t.Errorf("pod %s: process %d not running in its cgroup", p.Name, p.PID)
		}
	}
	last := l.Pods[len(l.Pods)-1]
	NSEnter(t, last.NetNS, "busybox", "ping", "-c", "1", "-W", "1", l.Pods[0].IP)
}
