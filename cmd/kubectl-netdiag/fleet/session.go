package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Config is what a Session needs.
type Config struct {
	REST      *rest.Config
	Namespace string // where the carriers run; needs PodSecurity "privileged"
	// Deadline bounds the whole session: every carrier pod's
	// activeDeadlineSeconds, and the owner Job's, after which Kubernetes
	// removes everything even if kubectl-netdiag was killed. Zero: 10 min.
	Deadline time.Duration
	// CarrierImage, when set, is the only image tried.
	CarrierImage string
	// NodeBinaries maps an architecture (node.status.nodeInfo.architecture:
	// amd64, arm64) to the netdiag binary for it.
	NodeBinaries map[string]string
	// StartTimeout bounds one carrier pod's start. Zero: 60 s.
	StartTimeout time.Duration
	// MaxImages bounds the images tried per node. Zero: 4.
	MaxImages int
	// Logf receives progress and the reasons for every fallback; nil
	// discards them.
	Logf func(format string, args ...any)
}

// Session is one run of kubectl-netdiag: an owner Job and the carrier pods
// it owns. Close removes them; if Close never runs, the Job's deadline
// and ttlSecondsAfterFinished make Kubernetes remove them.
type Session struct {
	ID     string
	cfg    Config
	rest   *rest.Config
	cs     kubernetes.Interface
	owner  metav1.OwnerReference
	closed bool

	mu       sync.Mutex
	carriers map[string]*Carrier
}

// NewSession creates the session's owner object: a Job with parallelism 0
// (it never makes a pod of its own) whose activeDeadlineSeconds fails it at
// the deadline and whose ttlSecondsAfterFinished 0 then deletes it, and
// with it, through the garbage collector, every carrier pod (they name it
// in ownerReferences).
func NewSession(ctx context.Context, cfg Config) (*Session, error) {
	if cfg.Deadline <= 0 {
		cfg.Deadline = 10 * time.Minute
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.MaxImages <= 0 {
		cfg.MaxImages = 4
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	cs, err := kubernetes.NewForConfig(cfg.REST)
	if err != nil {
		return nil, fmt.Errorf("make a Kubernetes client: %w", err)
	}
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	s := &Session{ID: hex.EncodeToString(id), cfg: cfg, rest: cfg.REST, cs: cs, carriers: map[string]*Carrier{}}
	job, err := cs.BatchV1().Jobs(cfg.Namespace).Create(ctx, ownerJob(s.ID, cfg.Namespace, cfg.Deadline), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create the session's owner job in namespace %s: %w%s", cfg.Namespace, err, rbacHint(err))
	}
	s.owner = metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID}
	return s, nil
}

func ownerJob(session, ns string, deadline time.Duration) *batchv1.Job {
	secs := int64(deadline / time.Second)
	if secs < 1 {
		secs = 1
	}
	zero32, zero := int32(0), int32(0)
	yes, no := true, false
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "netdiag-" + session,
			Namespace:   ns,
			Labels:      SessionLabels(session),
			Annotations: map[string]string{"netdiag.io/purpose": "owner of this kubectl-netdiag session's carrier pods; never runs a pod"},
		},
		Spec: batchv1.JobSpec{
			Parallelism:             &zero32,
			ActiveDeadlineSeconds:   &secs,
			TTLSecondsAfterFinished: &zero,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: SessionLabels(session)},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: &no,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   &yes,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:            "never-runs",
						Image:           "netdiag.invalid/never-runs",
						ImagePullPolicy: corev1.PullNever,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: &no,
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
				},
			},
		},
	}
}

func rbacHint(err error) string {
	if apierrors.IsForbidden(err) {
		return " (see docs/fleet.md for the RBAC kubectl-netdiag needs)"
	}
	if apierrors.IsNotFound(err) {
		return " (does the namespace exist? choose one with -n)"
	}
	return ""
}

// Close deletes the session's pods and owner job. It is safe to call more
// than once.
func (s *Session) Close(ctx context.Context) error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	return deleteSelected(ctx, s.cs, s.cfg.Namespace, LabelSession+"="+s.ID)
}

// Cleanup deletes every object of kubectl-netdiag in namespace ("" for
// every namespace): what sessions that were killed left.
func Cleanup(ctx context.Context, cfg *rest.Config, namespace string) (pods, jobs int, err error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return 0, 0, fmt.Errorf("make a Kubernetes client: %w", err)
	}
	pl, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: ToolSelector})
	if err != nil {
		return 0, 0, fmt.Errorf("list pods: %w%s", err, rbacHint(err))
	}
	jl, err := cs.BatchV1().Jobs(namespace).List(ctx, metav1.ListOptions{LabelSelector: ToolSelector})
	if err != nil {
		return 0, 0, fmt.Errorf("list jobs: %w%s", err, rbacHint(err))
	}
	nss := map[string]bool{}
	for _, p := range pl.Items {
		nss[p.Namespace] = true
	}
	for _, j := range jl.Items {
		nss[j.Namespace] = true
	}
	var errs []error
	for ns := range nss {
		errs = append(errs, deleteSelected(ctx, cs, ns, ToolSelector))
	}
	return len(pl.Items), len(jl.Items), errors.Join(errs...)
}

func deleteSelected(ctx context.Context, cs kubernetes.Interface, ns, selector string) error {
	bg := metav1.DeletePropagationBackground
	grace := int64(0)
	var errs []error
	// The job first: were the pods' deletion cut short, the garbage
	// collector finishes it.
	if err := cs.BatchV1().Jobs(ns).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &bg},
		metav1.ListOptions{LabelSelector: selector}); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete jobs %s in %s: %w", selector, ns, err))
	}
	// Grace 0: the carriers hold nothing worth a graceful stop.
	if err := cs.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &grace},
		metav1.ListOptions{LabelSelector: selector}); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete pods %s in %s: %w", selector, ns, err))
	}
	return errors.Join(errs...)
}

// NodeSelection says which nodes to use.
type NodeSelection struct {
	Names    []string
	Selector string
	All      bool
}

// Nodes returns the selected nodes, sorted by name; an unknown name is an
// error that lists the nodes there are.
func Nodes(ctx context.Context, cfg *rest.Config, sel NodeSelection) ([]corev1.Node, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("make a Kubernetes client: %w", err)
	}
	opts := metav1.ListOptions{}
	if sel.Selector != "" {
		if _, err := labels.Parse(sel.Selector); err != nil {
			return nil, fmt.Errorf("node selector %q: %w", sel.Selector, err)
		}
		opts.LabelSelector = sel.Selector
	}
	list, err := cs.CoreV1().Nodes().List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w%s", err, rbacHint(err))
	}
	nodes := list.Items
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	if len(sel.Names) == 0 {
		if len(nodes) == 0 && sel.Selector != "" {
			return nil, fmt.Errorf("no node matches %q", sel.Selector)
		}
		return nodes, nil
	}
	byName := map[string]corev1.Node{}
	var all []string
	for _, n := range nodes {
		byName[n.Name] = n
		all = append(all, n.Name)
	}
	var out []corev1.Node
	for _, name := range sel.Names {
		n, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("no node %q; the nodes are: %s", name, strings.Join(all, ", "))
		}
		out = append(out, n)
	}
	return out, nil
}

// ForEach runs fn on every node, at most parallel at once, and returns each
// node's error (nil when it worked), in the order of nodes. A node that
// fails does not stop the others.
func ForEach(ctx context.Context, nodes []corev1.Node, parallel int, fn func(ctx context.Context, n *corev1.Node) error) []error {
	if parallel < 1 {
		parallel = 1
	}
	errs := make([]error, len(nodes))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = fn(ctx, &nodes[i])
		}()
	}
	wg.Wait()
	return errs
}
