package fleet

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Candidate is an image that is already on a node, and why it was chosen.
type Candidate struct {
	Image  string `json:"image"`
	Source string `json:"source"` // "daemonset POD", "pod POD", "node status", "--carrier-image"
}

// Candidates lists the images to try for a carrier pod on node, best
// first: those of running DaemonSet pods there (kube-proxy's and the CNI
// agent's are on every node and usually have a shell), then those of other
// running pods there, then the rest of node.status.images. Each image once;
// pause images (no shell) never. pods may hold pods of other nodes: they
// are skipped.
func Candidates(node *corev1.Node, pods []corev1.Pod) []Candidate {
	var ds, other []Candidate
	seen := map[string]bool{}
	add := func(list *[]Candidate, image, source string) {
		if image == "" || seen[image] || isPause(image) {
			return
		}
		seen[image] = true
		*list = append(*list, Candidate{Image: image, Source: source})
	}
	sorted := append([]corev1.Pod(nil), pods...)
	// kube-proxy first (its image is the most common base with a shell),
	// then by name, for a choice that does not change from run to run.
	sort.SliceStable(sorted, func(i, j int) bool {
		pi, pj := strings.Contains(sorted[i].Name, "kube-proxy"), strings.Contains(sorted[j].Name, "kube-proxy")
		if pi != pj {
			return pi
		}
		return sorted[i].Namespace+"/"+sorted[i].Name < sorted[j].Namespace+"/"+sorted[j].Name
	})
	// DaemonSet pods first: an image they share with other pods counts
	// as theirs.
	for _, daemon := range []bool{true, false} {
		for _, p := range sorted {
			if p.Spec.NodeName != node.Name || p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
				continue
			}
			if p.Labels[LabelManagedBy] == ManagedBy {
				continue // our own carriers: their image is already a candidate
			}
			if ownedByDaemonSet(&p) != daemon {
				continue
			}
			list, kind := &other, "pod"
			if daemon {
				list, kind = &ds, "daemonset"
			}
			for _, c := range p.Spec.Containers {
				add(list, c.Image, kind+" "+p.Namespace+"/"+p.Name)
			}
		}
	}
	out := append(ds, other...)
	for _, img := range node.Status.Images {
		// A tag names the image more readably than a digest.
		best := ""
		for _, n := range img.Names {
			if best == "" || strings.Contains(best, "@sha256:") && !strings.Contains(n, "@sha256:") {
				best = n
			}
		}
		add(&out, best, "node status")
	}
	return out
}

func ownedByDaemonSet(p *corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return true
		}
	}
	return false
}

func isPause(image string) bool {
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return strings.HasPrefix(name, "pause:") || name == "pause"
}
