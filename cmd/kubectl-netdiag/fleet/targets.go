package fleet

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// CaptureSelection says which pods to capture: one pod, a Service's
// endpoints, or the pods with labels in a namespace.
type CaptureSelection struct {
	Pod       string // NAMESPACE/NAME
	Service   string // NAMESPACE/NAME
	Selector  string
	Namespace string // of Selector
}

// CaptureTarget is one pod to capture on its node.
type CaptureTarget struct {
	Node string
	Pod  string // NAMESPACE/NAME
}

// CaptureSet is what ResolveCapture found.
type CaptureSet struct {
	Targets []CaptureTarget
	Names   []HostName // every pod's and Service's address, for the file
	// ServiceAddrs are a Service's cluster IPs and its endpoints' IPs:
	// what a capture on the clients' nodes (--clients) filters on.
	ServiceAddrs []netip.Addr
}

// ResolveCapture finds the pods to capture and the names of every pod and
// Service of the cluster by address (for the capture's name resolution).
func ResolveCapture(ctx context.Context, cfg *rest.Config, sel CaptureSelection) (*CaptureSet, error) {
	set := &CaptureSet{}
	targets, names, err := resolveCapture(ctx, cfg, sel, set)
	if err != nil {
		return nil, err
	}
	set.Targets, set.Names = targets, names
	return set, nil
}

func resolveCapture(ctx context.Context, cfg *rest.Config, sel CaptureSelection, set *CaptureSet) ([]CaptureTarget, []HostName, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("make a Kubernetes client: %w", err)
	}
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list pods: %w%s", err, rbacHint(err))
	}
	byName := map[string]*corev1.Pod{}
	for i := range pods.Items {
		p := &pods.Items[i]
		byName[p.Namespace+"/"+p.Name] = p
	}
	var targets []CaptureTarget
	add := func(p *corev1.Pod) {
		if p.Spec.NodeName == "" || p.Status.Phase != corev1.PodRunning {
			return
		}
		if p.Spec.HostNetwork {
			return // its traffic is the node's: capture on the node instead
		}
		targets = append(targets, CaptureTarget{Node: p.Spec.NodeName, Pod: p.Namespace + "/" + p.Name})
	}
	split := func(flag, v string) (string, string, error) {
		ns, name, ok := strings.Cut(v, "/")
		if !ok || ns == "" || name == "" {
			return "", "", fmt.Errorf("%s wants NAMESPACE/NAME, not %q", flag, v)
		}
		return ns, name, nil
	}
	switch {
	case sel.Pod != "":
		if _, _, err := split("--pod", sel.Pod); err != nil {
			return nil, nil, err
		}
		p := byName[sel.Pod]
		if p == nil {
			return nil, nil, fmt.Errorf("no pod %s", sel.Pod)
		}
		add(p)
		if len(targets) == 0 {
			return nil, nil, fmt.Errorf("pod %s is not running with a network of its own (phase %s, hostNetwork %v)", sel.Pod, p.Status.Phase, p.Spec.HostNetwork)
		}
	case sel.Service != "":
		ns, name, err := split("--service", sel.Service)
		if err != nil {
			return nil, nil, err
		}
		svc, err := cs.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("get service %s: %w", sel.Service, err)
		}
		for _, ip := range svc.Spec.ClusterIPs {
			if a, err := netip.ParseAddr(ip); err == nil {
				set.ServiceAddrs = append(set.ServiceAddrs, a)
			}
		}
		slices, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + name})
		if err != nil {
			return nil, nil, fmt.Errorf("list the endpoints of service %s: %w%s", sel.Service, err, rbacHint(err))
		}
		seen := map[string]bool{}
		for _, s := range slices.Items {
			for _, ep := range s.Endpoints {
				for _, ip := range ep.Addresses {
					if a, err := netip.ParseAddr(ip); err == nil {
						set.ServiceAddrs = append(set.ServiceAddrs, a)
					}
				}
				if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" {
					continue
				}
				key := ep.TargetRef.Namespace + "/" + ep.TargetRef.Name
				if ep.TargetRef.Namespace == "" {
					key = ns + "/" + ep.TargetRef.Name
				}
				if p := byName[key]; p != nil && !seen[key] {
					seen[key] = true
					add(p)
				}
			}
		}
		if len(targets) == 0 {
			return nil, nil, fmt.Errorf("service %s has no running endpoint pods", sel.Service)
		}
	case sel.Selector != "":
		list, err := cs.CoreV1().Pods(sel.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.Selector})
		if err != nil {
			return nil, nil, fmt.Errorf("list pods %s in %s: %w", sel.Selector, sel.Namespace, err)
		}
		for i := range list.Items {
			add(&list.Items[i])
		}
		if len(targets) == 0 {
			return nil, nil, fmt.Errorf("no running pod matches %s in namespace %s", sel.Selector, sel.Namespace)
		}
	default:
		return nil, nil, fmt.Errorf("choose what to capture: --pod NS/NAME, --service NS/NAME or -l SELECTOR")
	}
	sort.Slice(targets, func(i, j int) bool {
		if targets[i].Node != targets[j].Node {
			return targets[i].Node < targets[j].Node
		}
		return targets[i].Pod < targets[j].Pod
	})

	var names []HostName
	for _, p := range pods.Items {
		if p.Spec.HostNetwork {
			continue // the node's address: not the pod's name
		}
		for _, ip := range p.Status.PodIPs {
			if a, err := netip.ParseAddr(ip.IP); err == nil {
				names = append(names, HostName{a, p.Name + "." + p.Namespace})
			}
		}
	}
	svcs, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list services: %w%s", err, rbacHint(err))
	}
	for _, s := range svcs.Items {
		for _, ip := range s.Spec.ClusterIPs {
			if a, err := netip.ParseAddr(ip); err == nil {
				names = append(names, HostName{a, s.Name + "." + s.Namespace + ".svc"})
			}
		}
	}
	SortNames(names)
	return targets, names, nil
}
