package cli

import (
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/netdiag/netdiag/node"
)

func init() {
	register(&ucli.Command{
		Name:  "pods",
		Usage: "list the pods on this node with their netns, interfaces and processes",
		Description: "Merges CRI (containerd, CRI-O, cri-dockerd), the Docker API, kubelet's files,\n" +
			"cgroups and a scan of every network namespace; any subset works. -v names the\n" +
			"sources that answered and why the others did not. Pods that no longer run (the\n" +
			"runtime keeps a stopped sandbox, or the kubelet its logs, until garbage collection)\n" +
			"are left out unless --all is given.",
		Flags:  []ucli.Flag{&ucli.BoolFlag{Name: "all", Usage: "also list pods that no longer run"}},
		Action: runPods,
	})
}

type podsOutput struct {
	// Node is the node's name as the kubelet registered it (node.NodeName).
	Node string     `json:"node"`
	Pods []node.Pod `json:"pods"`
}

func runPods(c *ucli.Context) error {
	if c.Args().Present() {
		return usageErrorf("pods takes no arguments; use a selector command such as `netdiag ip addr --pod-ip IP`")
	}
	inv, err := loadInventory(c)
	if err != nil {
		return err
	}
	if !c.Bool("all") {
		live := inv.Pods[:0]
		for _, p := range inv.Pods {
			if running(&p) {
				live = append(live, p)
			}
		}
		inv.Pods = live
	}
	e := envOf(c)
	if isJSON(c) {
		g := globals(c)
		name, _ := node.NodeName(node.Options{HostRoot: g.HostRoot, NodeNetNS: g.NodeNetNS})
		return writeJSON(e.stdout, podsOutput{Node: name, Pods: inv.Pods})
	}
	t := newTable(e.stdout, "NAMESPACE", "NAME", "IP", "PID", "NETNS", "IFACE", "MTU", "HOST-VETH", "MASTER")
	for _, p := range inv.Pods {
		var iface, mtu, veth, master string
		if p.Interface != nil {
			iface, mtu = p.Interface.Name, strconv.Itoa(p.Interface.MTU)
		}
		if p.HostInterface != nil {
			veth, master = p.HostInterface.Name, p.HostInterface.Master
		}
		if p.HostNetwork {
			iface = "(host)"
		}
		name := p.Name
		if name == "" && p.UID != "" {
			name = "uid:" + p.UID
		}
		pid := ""
		if p.PID > 0 {
			pid = strconv.Itoa(p.PID)
		}
		netns := ""
		if p.NetNS.Inode != 0 {
			netns = strconv.FormatUint(p.NetNS.Inode, 10)
		}
		t.row(p.Namespace, name, strings.Join(p.IPs, ","), pid, netns, iface, mtu, veth, master)
	}
	return t.flush()
}

// running: the pod has a ready sandbox, a process or a running container;
// a stopped sandbox, or a pod known only from the kubelet's files, does not.
func running(p *node.Pod) bool {
	if p.SandboxState == "ready" || p.PID > 0 {
		return true
	}
	for _, c := range p.Containers {
		if c.State == "running" || len(c.PIDs) > 0 {
			return true
		}
	}
	return false
}
