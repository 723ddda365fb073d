package fleet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels on every object kubectl-netdiag makes; cleanup deletes by them.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelSession   = "netdiag.io/session"
	AnnotationNode = "netdiag.io/node"
	Name           = "netdiag"
	ManagedBy      = "kubectl-netdiag"
)

// Where things are inside a carrier.
const (
	HostMount  = "/host" // the node's / (read-only)
	BinDir     = "/nd"   // memory emptyDir holding the node binary
	NodeBinary = BinDir + "/netdiag"
)

// PodOptions shape a carrier pod.
type PodOptions struct {
	Session   string
	Namespace string
	Node      string
	Image     string
	Deadline  time.Duration // activeDeadlineSeconds, and how long it sleeps
	Owner     metav1.OwnerReference
	// MemoryLimit bounds the pod, the node binary in its memory emptyDir
	// included (tmpfs pages count against it); zero means 512Mi.
	MemoryLimit resource.Quantity
}

// CarrierPod is the pod that carries netdiag onto one node: pinned to the
// node by spec.nodeName (no scheduler), tolerating every taint, in the
// node's network and PID namespaces, privileged, with the node's / at
// /host read-only, no service account token, and a deadline after which
// the kubelet kills it whatever happens to kubectl-netdiag. It only
// sleeps: the work comes by exec. Its image is one the node already has
// (imagePullPolicy Never).
func CarrierPod(o PodOptions) *corev1.Pod {
	secs := int64(o.Deadline / time.Second)
	if secs < 1 {
		secs = 1
	}
	mem := o.MemoryLimit
	if mem.IsZero() {
		mem = resource.MustParse("512Mi")
	}
	tmpfs := resource.MustParse("256Mi")
	yes, root, grace := true, int64(0), int64(1)
	no := false
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    "netdiag-" + o.Session + "-",
			Namespace:       o.Namespace,
			Labels:          SessionLabels(o.Session),
			Annotations:     map[string]string{AnnotationNode: o.Node},
			OwnerReferences: []metav1.OwnerReference{o.Owner},
		},
		Spec: corev1.PodSpec{
			NodeName:                      o.Node,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			HostNetwork:                   true,
			HostPID:                       true,
			DNSPolicy:                     corev1.DNSClusterFirstWithHostNet,
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         &secs,
			TerminationGracePeriodSeconds: &grace,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			Containers: []corev1.Container{{
				Name:            "carrier",
				Image:           o.Image,
				ImagePullPolicy: corev1.PullNever,
				// A shell that ends at once on SIGTERM (PID 1 ignores it
				// otherwise) and by itself at the deadline.
				Command: []string{"sh", "-c", `trap "exit 0" TERM; sleep ` + strconv.FormatInt(secs, 10) + ` & wait`},
				SecurityContext: &corev1.SecurityContext{
					Privileged: &yes,
					RunAsUser:  &root,
					RunAsGroup: &root,
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("10m"),
						corev1.ResourceMemory: resource.MustParse("64Mi"),
					},
					Limits: corev1.ResourceList{corev1.ResourceMemory: mem},
				},
				VolumeMounts: []corev1.VolumeMount{
					// No mount propagation: HostToContainer needs / to be a shared or
					// slave mount, which not every node has.
					{Name: "host", MountPath: HostMount, ReadOnly: true},
					{Name: "bin", MountPath: BinDir},
				},
			}},
			Volumes: []corev1.Volume{
				{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: ptr(corev1.HostPathDirectory)}}},
				{Name: "bin", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &tmpfs}}},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// SessionLabels are the labels of a session's objects.
func SessionLabels(session string) map[string]string {
	return map[string]string{LabelName: Name, LabelManagedBy: ManagedBy, LabelSession: session}
}

// ToolSelector selects every object kubectl-netdiag made, of any session.
const ToolSelector = LabelManagedBy + "=" + ManagedBy

// startState reads a carrier pod's status: ready when its container runs;
// a non-empty reason when it will never run (try another image).
func startState(p *corev1.Pod) (ready bool, reason string) {
	if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
		r := "pod " + strings.ToLower(string(p.Status.Phase))
		if p.Status.Reason != "" {
			r += ": " + p.Status.Reason
		}
		if p.Status.Message != "" {
			r += ": " + p.Status.Message
		}
		if cr := containerReason(p); cr != "" {
			r += "; " + cr
		}
		return false, r
	}
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Running != nil:
			return true, ""
		case cs.State.Terminated != nil:
			return false, containerReason(p)
		case cs.State.Waiting != nil:
			switch cs.State.Waiting.Reason {
			case "ContainerCreating", "PodInitializing", "":
			default:
				return false, containerReason(p)
			}
		}
	}
	return false, ""
}

func containerReason(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		var r string
		switch {
		case cs.State.Terminated != nil:
			t := cs.State.Terminated
			r = fmt.Sprintf("container exited %d (%s)", t.ExitCode, t.Reason)
			if t.Message != "" {
				r += ": " + t.Message
			}
		case cs.State.Waiting != nil:
			w := cs.State.Waiting
			r = w.Reason
			if w.Message != "" {
				r += ": " + w.Message
			}
		default:
			continue
		}
		return r + hint(r)
	}
	return ""
}

// hint turns a runtime's complaint into what it means for a carrier.
func hint(reason string) string {
	switch {
	case strings.Contains(reason, "ErrImageNeverPull"):
		return " (the image is not on the node, and carriers never pull)"
	case strings.Contains(reason, `"sh"`) && (strings.Contains(reason, "not found") || strings.Contains(reason, "no such file")):
		return " (the image has no shell)"
	case strings.Contains(reason, "executable file not found") || strings.Contains(reason, "no such file or directory"):
		return " (the image has no shell?)"
	}
	return ""
}
