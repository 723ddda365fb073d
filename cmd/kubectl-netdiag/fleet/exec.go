package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/netdiag/netdiag/fleet/frame"
)

// Carrier is a running carrier pod on one node with the node binary in it.
type Carrier struct {
	s     *Session
	Node  string
	Pod   string
	Image Candidate
	// CopyTime is how long streaming and checking the binary took.
	CopyTime time.Duration
	// Verify says how the binary was checked after the copy.
	Verify string
}

// Attempt is one image tried for a carrier and why it did not do.
type Attempt struct {
	Image  Candidate
	Reason string
}

// StartError is a node on which no carrier could start.
type StartError struct {
	Node     string
	Attempts []Attempt
	Err      error // why no further image was tried, if not that none was left
}

func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no carrier pod could run on node %s", e.Node)
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, "; image %s (%s): %s", a.Image.Image, a.Image.Source, a.Reason)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "; %v", e.Err)
	}
	if len(e.Attempts) == 0 && e.Err == nil {
		b.WriteString("; no image on the node to try: give one with --carrier-image")
	}
	return b.String()
}

func (e *StartError) Unwrap() error { return e.Err }

// Carrier returns the session's carrier on node, starting one (trying the
// node's images in turn) and copying the node binary into it the first
// time.
func (s *Session) Carrier(ctx context.Context, node *corev1.Node) (*Carrier, error) {
	s.mu.Lock()
	c := s.carriers[node.Name]
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	arch := node.Status.NodeInfo.Architecture
	bin := s.cfg.NodeBinaries[arch]
	if bin == "" {
		return nil, fmt.Errorf("node %s is %s/%s and there is no netdiag binary for it: put netdiag-linux-%s beside kubectl-netdiag or give --node-binary",
			node.Name, node.Status.NodeInfo.OperatingSystem, arch, arch)
	}
	var cands []Candidate
	if s.cfg.CarrierImage != "" {
		cands = []Candidate{{Image: s.cfg.CarrierImage, Source: "--carrier-image"}}
	} else {
		pods, err := s.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node.Name})
		if err != nil {
			return nil, fmt.Errorf("list the pods of node %s to choose an image: %w%s", node.Name, err, rbacHint(err))
		}
		cands = Candidates(node, pods.Items)
		if len(cands) > s.cfg.MaxImages {
			cands = cands[:s.cfg.MaxImages]
		}
	}
	se := &StartError{Node: node.Name}
	for _, cand := range cands {
		c, reason, fatal := s.try(ctx, node.Name, cand, bin)
		if c != nil {
			s.mu.Lock()
			s.carriers[node.Name] = c
			s.mu.Unlock()
			return c, nil
		}
		if ctx.Err() != nil { // interrupted: not the image's fault
			se.Err = ctx.Err()
			break
		}
		s.cfg.Logf("node %s: image %s (%s): %s", node.Name, cand.Image, cand.Source, reason)
		se.Attempts = append(se.Attempts, Attempt{Image: cand, Reason: reason})
		if fatal != nil {
			se.Err = fatal
			break
		}
	}
	return nil, se
}

// try starts a carrier on one image and copies the binary into it; on
// failure the pod is deleted and the reason returned; fatal is set when no
// other image would do better (an admission refusal of the pod itself).
func (s *Session) try(ctx context.Context, node string, cand Candidate, bin string) (*Carrier, string, error) {
	pods := s.cs.CoreV1().Pods(s.cfg.Namespace)
	spec := CarrierPod(PodOptions{Session: s.ID, Namespace: s.cfg.Namespace, Node: node, Image: cand.Image,
		Deadline: s.cfg.Deadline, Owner: s.owner})
	p, err := pods.Create(ctx, spec, metav1.CreateOptions{})
	if err != nil {
		reason := "create the pod: " + err.Error()
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "PodSecurity") {
			return nil, reason, fmt.Errorf("namespace %s refuses privileged pods: label it pod-security.kubernetes.io/enforce=privileged or choose another with -n (docs/fleet.md)", s.cfg.Namespace)
		}
		if apierrors.IsForbidden(err) && !strings.Contains(err.Error(), "admission") {
			return nil, reason, fmt.Errorf("not allowed to create pods in %s%s", s.cfg.Namespace, rbacHint(err))
		}
		return nil, reason + " (refused on admission)", nil
	}
	c := &Carrier{s: s, Node: node, Pod: p.Name, Image: cand}
	fail := func(reason string) (*Carrier, string, error) {
		grace := int64(0)
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = pods.Delete(dctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace})
		return nil, reason, nil
	}
	if reason := s.waitRunning(ctx, p.Name); reason != "" {
		return fail(reason)
	}
	if err := c.copyBinary(ctx, bin); err != nil {
		return fail(err.Error())
	}
	return c, "", nil
}

// waitRunning waits until the pod's container runs; it returns why not.
func (s *Session) waitRunning(ctx context.Context, name string) string {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	last := "no status yet"
	for {
		p, err := s.cs.CoreV1().Pods(s.cfg.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			ready, reason := startState(p)
			if ready {
				return ""
			}
			if reason != "" {
				return reason
			}
			last = string(p.Status.Phase)
			if r := containerReason(p); r != "" {
				last += ", " + r
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Sprintf("not running after %v (%s)", s.cfg.StartTimeout, last)
			}
			return ctx.Err().Error()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// exec runs cmd in the carrier with the given streams (nil: none).
func (c *Carrier) exec(ctx context.Context, cmd []string, stdin io.Reader, stdout, stderr io.Writer) error {
	req := c.s.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(c.s.cfg.Namespace).Name(c.Pod).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: "carrier",
		Command:   cmd,
		Stdin:     stdin != nil,
		Stdout:    stdout != nil,
		Stderr:    stderr != nil,
	}, scheme.ParameterCodec)
	// WebSockets (the API server's default since 1.31), SPDY when a proxy
	// between here and there refuses the upgrade.
	ws, err := remotecommand.NewWebSocketExecutor(c.s.rest, "GET", req.URL().String())
	if err != nil {
		return fmt.Errorf("exec in pod %s: %w", c.Pod, err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(c.s.rest, "POST", req.URL())
	if err != nil {
		return fmt.Errorf("exec in pod %s: %w", c.Pod, err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, httpstream.IsUpgradeFailure)
	if err != nil {
		return fmt.Errorf("exec in pod %s: %w", c.Pod, err)
	}
	return ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// copyBinary streams the node binary into the pod's memory emptyDir with
// the image's shell and cat (images like kube-proxy's have no tar, so no
// kubectl cp), then checks its sha256: with sha256sum when the image has
// one, else by asking the copied binary to hash itself (a binary damaged
// on the way would not run, or not report the right sum).
func (c *Carrier) copyBinary(ctx context.Context, path string) error {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open node binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	var out, errb bytes.Buffer
	script := `cat > ` + NodeBinary + `.part && chmod 700 ` + NodeBinary + `.part && mv ` + NodeBinary + `.part ` + NodeBinary +
		` && { sha256sum ` + NodeBinary + ` 2>/dev/null || echo no-sha256sum; }`
	if err := c.exec(ctx, []string{"sh", "-c", script}, io.TeeReader(f, h), &out, &errb); err != nil {
		return fmt.Errorf("copy the node binary with sh and cat: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	want := hex.EncodeToString(h.Sum(nil))
	got, _, _ := strings.Cut(strings.TrimSpace(out.String()), " ")
	c.Verify = "sha256sum in the image"
	if got == "no-sha256sum" {
		c.Verify = "no sha256sum in the image: the binary hashed itself"
		var sum bytes.Buffer
		code, err := c.agent(ctx, []string{"--sha256"}, nil, &sum, nil)
		if err != nil || code != 0 {
			return fmt.Errorf("check the copied binary: it does not run (%v, exit %d)", err, code)
		}
		got = sum.String()
	}
	if got != want {
		return fmt.Errorf("the copied binary's sha256 is %q, not %s: damaged on the way", got, want)
	}
	c.CopyTime = time.Since(start)
	return nil
}

// Output receives what a node command writes.
type Output struct {
	Stdout, Stderr io.Writer
}

// Run runs `netdiag ARGS…` on the node through the agent, with the node's
// netns (the carrier's own, hostNetwork) and files (/host), writing its
// stdout and stderr to out as they come; it returns the command's exit
// code. When ctx ends the command is interrupted (SIGINT: a capture writes
// a complete file) and Run waits a little for its end.
func (c *Carrier) Run(ctx context.Context, args []string, out Output) (int, error) {
	full := append([]string{"--stop-on-eof", "--", "--node-netns", "/proc/self/ns/net", "--host-root", HostMount}, args...)
	return c.agent(ctx, full, nil, out.Stdout, out.Stderr)
}

// Heartbeat is the agent's heartbeat interval and HeartbeatTimeout the
// silence after which a node counts as hung.
const (
	Heartbeat        = 3 * time.Second
	HeartbeatTimeout = 20 * time.Second
	stopGrace        = 15 * time.Second
)

// agent runs `netdiag agent ARGS…` in the carrier and decodes its frames:
// stdout and stderr frames go to the writers, Sum and Clock frames to sum
// (as text).
func (c *Carrier) agent(ctx context.Context, args []string, clock *int64, stdout, stderr io.Writer) (int, error) {
	cmd := append([]string{NodeBinary, "agent", "--heartbeat", Heartbeat.String()}, args...)
	execCtx, cancelExec := context.WithCancel(context.Background())
	defer cancelExec()
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan struct{})
	defer close(done)
	var hung error
	var mu sync.Mutex
	lastFrame := time.Now()
	go func() { // stop on ctx: close stdin; give up after a grace or when silent
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var stopAt time.Time
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				if stopAt.IsZero() {
					stopAt = time.Now()
					stdinW.Close()
				}
			case <-t.C:
			}
			mu.Lock()
			silent := time.Since(lastFrame)
			mu.Unlock()
			switch {
			case !stopAt.IsZero() && time.Since(stopAt) > stopGrace:
				cancelExec()
				return
			case silent > HeartbeatTimeout:
				mu.Lock()
				hung = fmt.Errorf("node %s: no word from netdiag for %v: the node or the connection to it hangs", c.Node, silent.Round(time.Second))
				mu.Unlock()
				cancelExec()
				return
			}
		}
	}()
	var stderrBuf bytes.Buffer
	execErr := make(chan error, 1)
	go func() {
		err := c.exec(execCtx, cmd, stdinR, outW, &stderrBuf)
		outW.CloseWithError(io.EOF)
		stdinW.Close()
		execErr <- err
	}()
	fr := frame.NewReader(outR)
	code := -1
	var fail string
	var readErr error
	for {
		f, err := fr.Read()
		if err != nil {
			if err != io.EOF {
				readErr = err
			}
			break
		}
		mu.Lock()
		lastFrame = time.Now()
		mu.Unlock()
		switch f.Type {
		case frame.Stdout:
			if stdout != nil {
				if _, err := stdout.Write(f.Payload); err != nil {
					readErr = fmt.Errorf("write the output of node %s: %w", c.Node, err)
					cancelExec()
				}
			}
		case frame.Stderr:
			if stderr != nil {
				stderr.Write(f.Payload)
			}
		case frame.Sum:
			if stdout != nil {
				stdout.Write(f.Payload)
			}
		case frame.Clock:
			if clock != nil {
				*clock, _ = frame.ParseInt(f.Payload)
			}
		case frame.Fail:
			fail = string(f.Payload)
		case frame.Exit:
			n, _ := frame.ParseInt(f.Payload)
			code = int(n)
		}
		if code >= 0 {
			break
		}
	}
	// Drain whatever follows so that the exec can end.
	go io.Copy(io.Discard, outR)
	err := <-execErr
	mu.Lock()
	defer mu.Unlock()
	switch {
	case hung != nil:
		return -1, hung
	case code >= 0 && fail != "":
		return code, fmt.Errorf("node %s: %s", c.Node, fail)
	case code >= 0:
		return code, nil
	case readErr != nil && !errors.Is(readErr, io.ErrClosedPipe):
		return -1, fmt.Errorf("node %s: read netdiag's output: %w%s", c.Node, readErr, stderrNote(&stderrBuf, err))
	case ctx.Err() != nil:
		return -1, fmt.Errorf("node %s: stopped: %w", c.Node, ctx.Err())
	default:
		return -1, fmt.Errorf("node %s: netdiag ended without an exit code%s", c.Node, stderrNote(&stderrBuf, err))
	}
}

func stderrNote(b *bytes.Buffer, err error) string {
	s := ""
	if err != nil {
		s += ": " + err.Error()
	}
	if t := strings.TrimSpace(b.String()); t != "" {
		s += ": " + t
	}
	return s
}

// ClockOffset is a node's clock minus the local clock, measured as NTP
// does over one exec: local t0, the node's now, local t1; the node's
// reading is taken as made at the midpoint, so the error is at most
// Uncertainty (half the round trip).
type ClockOffset struct {
	Offset      time.Duration `json:"offset"`
	Uncertainty time.Duration `json:"uncertainty"`
}

// Offset computes a ClockOffset from the three readings.
func Offset(t0, remote, t1 time.Time) ClockOffset {
	rtt := t1.Sub(t0)
	mid := t0.Add(rtt / 2)
	return ClockOffset{Offset: remote.Sub(mid), Uncertainty: rtt / 2}
}

// Clock measures the node's clock offset: the best (shortest round trip)
// of three readings.
func (c *Carrier) Clock(ctx context.Context) (ClockOffset, error) {
	var best ClockOffset
	for i := 0; i < 3; i++ {
		var remote int64
		t0 := time.Now()
		code, err := c.agent(ctx, []string{"--clock"}, &remote, nil, nil)
		t1 := time.Now()
		if err != nil || code != 0 || remote == 0 {
			return best, fmt.Errorf("node %s: read its clock: %v (exit %d)", c.Node, err, code)
		}
		o := Offset(t0, time.Unix(0, remote), t1)
		if i == 0 || o.Uncertainty < best.Uncertainty {
			best = o
		}
	}
	return best, nil
}
