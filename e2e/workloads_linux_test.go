package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
)

// The test namespace and the fixed addresses its services use.
const (
	ns          = "nd-e2e"
	lbIP        = "198.19.200.10"
	externalIP  = "198.19.201.10"
	sourceRange = "198.19.255.0/24"
)

// workloads: web runs one pod on each node; local1 one pod on node 1 only,
// so that node 2 has no local endpoint for the Local policies; hostnet is a
// host-network pod. The services give every shape kube-proxy writes.
func workloads(image string) string {
	return strings.ReplaceAll(`
apiVersion: v1
kind: Namespace
metadata: {name: nd-e2e}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: nd-e2e}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: IMAGE
        imagePullPolicy: Never
        command: [sh, -c, "mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: local1, namespace: nd-e2e}
spec:
  replicas: 1
  selector: {matchLabels: {app: local1}}
  template:
    metadata: {labels: {app: local1}}
    spec:
      nodeSelector: {kubernetes.io/hostname: nd-node1}
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: IMAGE
        imagePullPolicy: Never
        command: [sh, -c, "mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www"]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet, namespace: nd-e2e}
spec:
  hostNetwork: true
  nodeName: nd-node1
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: IMAGE, imagePullPolicy: Never, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: nd-e2e}
spec:
  nodeName: nd-node2
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: IMAGE, imagePullPolicy: Never, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: nd-e2e}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: alt, port: 8080, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: web-np, namespace: nd-e2e}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: nd-e2e}
spec:
  type: LoadBalancer
  selector: {app: web}
  loadBalancerSourceRanges: [SOURCERANGE]
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30081}]
---
apiVersion: v1
kind: Service
metadata: {name: web-ext, namespace: nd-e2e}
spec:
  selector: {app: web}
  externalIPs: [EXTERNALIP]
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-ds, namespace: nd-e2e}
spec:
  type: NodePort
  ipFamilyPolicy: RequireDualStack
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30083}]
---
apiVersion: v1
kind: Service
metadata: {name: web-aff, namespace: nd-e2e}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: local-etp, namespace: nd-e2e}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: local1}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30082}]
---
apiVersion: v1
kind: Service
metadata: {name: local-itp, namespace: nd-e2e}
spec:
  internalTrafficPolicy: Local
  selector: {app: local1}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: noep, namespace: nd-e2e}
spec:
  selector: {app: nothing}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: headless, namespace: nd-e2e}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: extname, namespace: nd-e2e}
spec:
  type: ExternalName
  externalName: web.example.invalid
`, "IMAGE", image)
}

func deployWorkloads(t *testing.T, l *testlab.K8sLab) error {
	m := strings.NewReplacer("SOURCERANGE", sourceRange, "EXTERNALIP", externalIP).Replace(workloads(l.Image))
	l.Apply(t, m)
	// No cloud controller: the load balancer's address is set as one would.
	l.Kubectl(t, "-n", ns, "patch", "service", "web-lb", "--subresource=status", "--type=merge",
		"-p", fmt.Sprintf(`{"status":{"loadBalancer":{"ingress":[{"ip":%q}]}}}`, lbIP))
	for _, d := range []string{"web", "local1"} {
		l.Kubectl(t, "-n", ns, "rollout", "status", "deploy/"+d, "--timeout=180s")
	}
	l.Kubectl(t, "-n", ns, "wait", "--for=condition=Ready", "pod/hostnet", "pod/client", "--timeout=120s")
	waitProxySynced(t, l)
	return nil
}

// waitProxySynced waits until every node's kube-proxy has rules for every
// endpoint of the test services (it syncs within a second of a change).
func waitProxySynced(t *testing.T, l *testlab.K8sLab) {
	t.Helper()
	var last error
	deadline := time.Now().Add(60 * time.Second)
	for {
		last = nil
		for _, n := range l.Nodes {
			if _, err := proxyView(t, l, n.Index); err != nil {
				last = err
				break
			}
		}
		if last == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-proxy rules for every service, not after 60 s: %v", last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
