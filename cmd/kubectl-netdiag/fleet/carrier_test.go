package fleet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCarrierPod(t *testing.T) {
	p := CarrierPod(PodOptions{Session: "abc", Namespace: "netdiag", Node: "n1", Image: "img:1", Deadline: 90 * time.Second,
		Owner: metav1.OwnerReference{Kind: "Job", Name: "netdiag-abc"}})
	s := p.Spec
	c := s.Containers[0]
	got := map[string]any{
		"node":        s.NodeName,
		"tolerations": s.Tolerations,
		"hostNetwork": s.HostNetwork, "hostPID": s.HostPID,
		"privileged": *c.SecurityContext.Privileged,
		"deadline":   *s.ActiveDeadlineSeconds,
		"token":      *s.AutomountServiceAccountToken,
		"restart":    s.RestartPolicy,
		"pull":       c.ImagePullPolicy,
		"hostPath":   s.Volumes[0].HostPath.Path,
		"readOnly":   c.VolumeMounts[0].ReadOnly,
		"medium":     s.Volumes[1].EmptyDir.Medium,
		"memLimit":   c.Resources.Limits.Memory().String(),
		"labels":     p.Labels,
		"owner":      p.OwnerReferences[0].Name,
		"command":    c.Command,
	}
	want := map[string]any{
		"node":        "n1",
		"tolerations": []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		"hostNetwork": true, "hostPID": true,
		"privileged": true,
		"deadline":   int64(90),
		"token":      false,
		"restart":    corev1.RestartPolicyNever,
		"pull":       corev1.PullNever,
		"hostPath":   "/",
		"readOnly":   true,
		"medium":     corev1.StorageMediumMemory,
		"memLimit":   "512Mi",
		"labels":     map[string]string{LabelName: Name, LabelManagedBy: ManagedBy, LabelSession: "abc"},
		"owner":      "netdiag-abc",
		"command":    []string{"sh", "-c", `trap "exit 0" TERM; sleep 90 & wait`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("carrier pod (-want +got):\n%s", d)
	}
}

func TestStartState(t *testing.T) {
	st := func(phase corev1.PodPhase, cs corev1.ContainerState) *corev1.Pod {
		p := &corev1.Pod{}
		p.Status.Phase = phase
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{State: cs}}
		return p
	}
	for _, tc := range []struct {
		name   string
		pod    *corev1.Pod
		ready  bool
		reason string
	}{
		{"creating", st(corev1.PodPending, corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}), false, ""},
		{"running", st(corev1.PodRunning, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}), true, ""},
		{"never pull", st(corev1.PodPending, corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull", Message: `Container image "x" is not present with pull policy of Never`}}),
			false, `ErrImageNeverPull: Container image "x" is not present with pull policy of Never (the image is not on the node, and carriers never pull)`},
		{"no shell", st(corev1.PodPending, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 128, Reason: "StartError", Message: `exec: "sh": executable file not found in $PATH: unknown`}}),
			false, `container exited 128 (StartError): exec: "sh": executable file not found in $PATH: unknown (the image has no shell)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ready, reason := startState(tc.pod)
			if ready != tc.ready || reason != tc.reason {
				t.Errorf("startState = %v, %q; want %v, %q", ready, reason, tc.ready, tc.reason)
			}
		})
	}
}

func TestOffset(t *testing.T) {
	t0 := time.Unix(1000, 0)
	o := Offset(t0, t0.Add(30*time.Millisecond), t0.Add(20*time.Millisecond))
	if o.Offset != 20*time.Millisecond || o.Uncertainty != 10*time.Millisecond {
		t.Errorf("Offset = %+v, want +20ms ±10ms", o)
	}
	if s := o.String(); s != "+20ms ±10ms" {
		t.Errorf("String = %q", s)
	}
}
