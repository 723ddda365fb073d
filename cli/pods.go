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
			"sources that answered and why the others did not.",
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
