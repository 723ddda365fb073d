package fleet

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pod(ns, name, node string, phase corev1.PodPhase, owner string, images ...string) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	p.Spec.NodeName = node
	p.Status.Phase = phase
	if owner != "" {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: owner, Name: "x"}}
	}
	for _, img := range images {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Image: img})
	}
	return p
}

func TestCandidates(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	node.Status.Images = []corev1.ContainerImage{
		{Names: []string{"registry.k8s.io/pause@sha256:abc", "registry.k8s.io/pause:3.10"}},
		{Names: []string{"docker.io/library/nginx@sha256:def", "docker.io/library/nginx:1.27"}},
		{Names: []string{"registry.k8s.io/kube-proxy:v1.34.4"}},
		{Names: []string{"quay.io/only@sha256:123"}},
	}
	pods := []corev1.Pod{
		pod("default", "web-1", "n1", corev1.PodRunning, "ReplicaSet", "docker.io/library/nginx:1.27"),
		pod("kube-system", "cilium-abc", "n1", corev1.PodRunning, "DaemonSet", "quay.io/cilium/cilium:v1.16", "quay.io/cilium/cilium:v1.16"),
		pod("kube-system", "kube-proxy-xyz", "n1", corev1.PodRunning, "DaemonSet", "registry.k8s.io/kube-proxy:v1.34.4"),
		pod("kube-system", "kube-proxy-other", "n2", corev1.PodRunning, "DaemonSet", "registry.k8s.io/kube-proxy:v1.33.0"),
		pod("default", "done", "n1", corev1.PodSucceeded, "", "busybox:old"),
		pod("default", "app", "n1", corev1.PodRunning, "", "busybox:1.36"),
		// Sorted before the DaemonSet pod that has the same image.
		pod("aaa", "first", "n1", corev1.PodRunning, "", "quay.io/cilium/cilium:v1.16"),
	}
	want := []Candidate{
		{"registry.k8s.io/kube-proxy:v1.34.4", "daemonset kube-system/kube-proxy-xyz"},
		{"quay.io/cilium/cilium:v1.16", "daemonset kube-system/cilium-abc"},
		{"busybox:1.36", "pod default/app"},
		{"docker.io/library/nginx:1.27", "pod default/web-1"},
		{"quay.io/only@sha256:123", "node status"},
	}
	if d := cmp.Diff(want, Candidates(node, pods)); d != "" {
		t.Errorf("Candidates (-want +got):\n%s", d)
	}
}
