#!/usr/bin/env bash
# k8snode.sh: a real Kubernetes v1.34.4 cluster of one or two nodes for
# netdiag's tests, built from source (internal/k8slab/build) and run entirely
# in namespaces this script creates.
#
#   k8snode.sh build                      build the binaries (cold: ~25 min on 2 cores)
#   k8snode.sh built                      exit 0 when they are built and up to date
#   k8snode.sh up [--nodes 1|2] [--proxy-mode iptables|nftables]
#   k8snode.sh down                       works after a partial up, any number of times
#   k8snode.sh status                     the state JSON (nodes, netns, holder PIDs)
#   k8snode.sh exec N CMD...              CMD on node N (its netns and mount namespace)
#   k8snode.sh kubectl ARGS...            kubectl as cluster admin
#   k8snode.sh proxy-mode iptables|nftables   restart every kube-proxy in that mode
#   k8snode.sh nodes 2                    add the second node to a running cluster
#   k8snode.sh proxy stop|start N         stop or start node N's kube-proxy (its rules stay)
#
# Options (before or after the command; "--" ends them): --dir DIR (state,
# default /var/tmp/netdiag-k8slab), --bin DIR (binaries, default
# internal/k8slab/bin), --name NAME (prefix of the netns and cgroup names,
# default ndk8s: labs of other names and directories run side by side).
#
# Layout: an uplink netns NAME-up holds bridge upbr (198.19.255.1/24) and
# nothing else. Node N is netns NAME-nN with eth0 198.19.255.(N+1)/24 on that
# bridge, pods in 198.19.(N-1).0/24 on cni0, and a mount namespace held by one
# process ("holder") where /run is a tmpfs, /var/lib and /var/log are bound to
# DIR/nN, /etc is an overlay whose changes go to DIR/nN/etc, /sys is the
# netns's own sysfs with /sys/fs/cgroup bound back, and the host-global
# sysctls the kubelet writes are files of DIR. etcd, the API server
# (198.19.255.2:6443), the controller manager and the scheduler run on node 1;
# every node runs containerd, the kubelet (registered as nd-nodeN) and
# kube-proxy. Services are 198.19.128.0/24, cluster DNS (CoreDNS)
# 198.19.128.10. Nothing leaves these namespaces: the uplink bridge has no
# other port, and no host interface, route, sysctl, /usr/libexec or ~/.kube is
# changed.
set -euo pipefail

PROG=k8snode.sh
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPTS/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$SCRIPTS/lib/common.sh"
export PATH=/usr/local/go/bin:$PATH:/usr/local/sbin:/usr/sbin:/sbin

K8S_VERSION=v1.34.4
IMAGE=docker.io/netdiag/k8slab:local
UPLINK_BR=upbr
# IPv6 is dual-stack's second family, in the 6to4 prefix of the lab's IPv4
# range (2002:c613::/32 is 198.19.0.0/16): network 198.19.X.0/24 is
# 2002:c613:XX00::/120. (64:ff9b::/96 would do too, but the CNI plugins of
# Debian 12 lose the leading zero byte of its addresses.)
CLUSTER_CIDR=198.19.0.0/20,2002:c613::/36
SERVICE_CIDR=198.19.128.0/24,2002:c613:8000::/120
DNS_IP=198.19.128.10
API_IP=198.19.255.2
CNI_BIN=/usr/lib/cni
BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl coredns)

DIR=${K8SLAB_DIR:-/var/tmp/netdiag-k8slab}
BIN=${K8SLAB_BIN:-$REPO/internal/k8slab/bin}
NODES=1
MODE=iptables
NAME=
ARGS=()
while (($#)); do
	case $1 in
	--dir) DIR=${2:?--dir needs a value}; shift 2 ;;
	--bin) BIN=${2:?--bin needs a value}; shift 2 ;;
	--name) NAME=${2:?--name needs a value}; shift 2 ;;
	--nodes) NODES=${2:?--nodes needs a value}; shift 2 ;;
	--proxy-mode) MODE=${2:?--proxy-mode needs a value}; shift 2 ;;
	--) shift; ARGS+=("$@"); break ;;
	*) ARGS+=("$1"); shift ;;
	esac
done
set -- "${ARGS[@]+"${ARGS[@]}"}"
CMD=${1:-}
shift || true
[[ $DIR == /* && $DIR != / && $DIR != *..* ]] || die "bad --dir '$DIR'"
DIR=${DIR%/}
LEDGER=$DIR/ledger
STATE=$DIR/state.json
PKI=$DIR/pki
# The name prefixes the lab's netns and cgroups: given, else what up
# recorded, else ndk8s.
[[ -n $NAME ]] || NAME=$(ledger_get "$LEDGER" name | head -n1)
NAME=${NAME:-ndk8s}
valid_name "$NAME"
UPLINK_NS=$NAME-up
CGROUP_PREFIX=$NAME

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

node_ns() { echo "$NAME-n$1"; }
node_ip() { echo "198.19.255.$(($1 + 1))"; }
node_ip6() { echo "2002:c613:ff00::$(($1 + 1))"; }
node_name() { echo "nd-node$1"; }
pod_cidr() { echo "198.19.$(($1 - 1)).0/24"; }
pod_gw() { echo "198.19.$(($1 - 1)).1"; }
pod_net6() { if (($1 == 1)); then echo "2002:c613::"; else printf '2002:c613:%x00::\n' $(($1 - 1)); fi; }
pod_cidr6() { echo "$(pod_net6 "$1")/120"; }
pod_gw6() { echo "$(pod_net6 "$1")1"; }
holder() { ledger_get "$LEDGER" "holder$1" | head -n1; }

# in_node N CMD...: CMD in node N's netns and mount namespace.
in_node() {
	local h
	h=$(holder "$1")
	[[ -n $h ]] && pid_alive "$h" || die "node $1 is not up (no holder process)"
	shift
	nsenter -t "$h" -m -n -- "$@"
}

kubectl_admin() {
	in_node 1 "$BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig" --cache-dir "$DIR/kubectl-cache" "$@"
}

# --- build ------------------------------------------------------------------

# The binaries are rebuilt when the build module changes; the Go build cache
# makes a rebuild after a small change cheap.
build_stamp() {
	cat "$REPO"/internal/k8slab/build/go.{mod,sum} "$REPO"/internal/k8slab/build/*/*.go \
		"$REPO"/internal/k8slab/coredns/go.{mod,sum} "$REPO"/internal/k8slab/coredns/*.go | sha256sum | cut -d' ' -f1
}

built() {
	local b
	for b in "${BINARIES[@]}"; do [[ -x $BIN/$b ]] || return 1; done
	[[ $(cat "$BIN/.stamp" 2>/dev/null) == "$(build_stamp)" ]]
}

cmd_build() {
	need_tools go
	if built; then
		log "binaries in $BIN are up to date"
		return
	fi
	log "building Kubernetes $K8S_VERSION, etcd and CoreDNS into $BIN (cold: ~25 min on 2 cores; with a warm Go build cache: ~2 min)"
	mkdir -p "$BIN"
	local v=$K8S_VERSION ld
	ld="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=34 -X $pkg.gitTreeState=clean"
	done
	(cd "$REPO/internal/k8slab/build" && CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$BIN/" \
		k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl \
		k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-controller-manager \
		./etcd k8s.io/kubernetes/cmd/kube-apiserver)
	(cd "$REPO/internal/k8slab/coredns" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/coredns" .)
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$BIN/ndcri" ./internal/cmd/ndcri)
	build_stamp >"$BIN/.stamp"
	log "built: $(du -sh "$BIN" | cut -f1) in $BIN"
}

# --- certificates -------------------------------------------------------------

# cert NAME SUBJECT [SANS]: an EC key and a certificate signed by the lab CA.
cert() {
	local name=$1 subj=$2 sans=${3:-}
	openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
	openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=clientAuth,serverAuth"
		[[ -z $sans ]] || echo "subjectAltName=$sans"
	} >"$PKI/$name.ext"
	openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
		-days 30 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
	rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# kubeconfig FILE CERT: a kubeconfig for the lab API server with a client cert.
kubeconfig() {
	cat >"$1" <<-EOF
		apiVersion: v1
		kind: Config
		clusters:
		- name: lab
		  cluster:
		    server: https://$API_IP:6443
		    certificate-authority: $PKI/ca.crt
		users:
		- name: $2
		  user:
		    client-certificate: $PKI/$2.crt
		    client-key: $PKI/$2.key
		contexts:
		- name: lab
		  context: {cluster: lab, user: $2}
		current-context: lab
	EOF
}

make_pki() {
	mkdir -p "$PKI"
	openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=netdiag-k8slab-ca" -days 30 -out "$PKI/ca.crt" 2>/dev/null
	cert apiserver "/CN=kube-apiserver" \
		"IP:$API_IP,IP:198.19.128.1,IP:2002:c613:8000::1,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
	cert admin "/O=system:masters/CN=kubernetes-admin"
	cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
	cert controller-manager "/CN=system:kube-controller-manager"
	cert scheduler "/CN=system:kube-scheduler"
	cert kube-proxy "/CN=system:kube-proxy"
	openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key" 2>/dev/null
	openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
	kubeconfig "$DIR/admin.kubeconfig" admin
	kubeconfig "$DIR/controller-manager.kubeconfig" controller-manager
	kubeconfig "$DIR/scheduler.kubeconfig" scheduler
	kubeconfig "$DIR/kube-proxy.kubeconfig" kube-proxy
}

# --- namespaces -------------------------------------------------------------

make_uplink() {
	ledger_add "$LEDGER" netns "$UPLINK_NS"
	ip netns add "$UPLINK_NS"
	ip -n "$UPLINK_NS" link set lo up
	ip -n "$UPLINK_NS" link add "$UPLINK_BR" type bridge
	ip -n "$UPLINK_NS" addr add 198.19.255.1/24 dev "$UPLINK_BR"
	ip -n "$UPLINK_NS" addr add 2002:c613:ff00::1/120 dev "$UPLINK_BR" nodad
	ip -n "$UPLINK_NS" link set "$UPLINK_BR" up
}

# holder_script N: what the holder of node N's mount namespace runs: the mounts,
# then a ready file, then it waits forever.
holder_script() {
	local n=$1 d=$DIR/n$1
	cat <<-EOF
		set -e
		mkdir -p $d/mnt/cg $d/varlib $d/varlog $d/etc/upper $d/etc/work $d/sysctl
		mount --rbind /sys/fs/cgroup $d/mnt/cg
		mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
		mount --rbind $d/mnt/cg /sys/fs/cgroup
		umount -l $d/mnt/cg
		mount -t tmpfs -o mode=755,size=256m tmpfs /run
		mount --bind $d/varlib /var/lib
		mount --bind $d/varlog /var/log
		mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/etc/upper,workdir=$d/etc/work /etc
		for f in vm/overcommit_memory:1 vm/panic_on_oom:0 kernel/panic:10 kernel/panic_on_oops:1 \\
			kernel/keys/root_maxkeys:1000000 kernel/keys/root_maxbytes:25000000; do
			k=\${f%%:*}; v=\${f#*:}; file=$d/sysctl/\${k//\//.}
			echo "\$v" >"\$file"
			mount --bind "\$file" /proc/sys/\$k
		done
		touch $d/ready
		exec sleep infinity
	EOF
}

make_node() {
	local n=$1 ns ip d=$DIR/n$1
	ns=$(node_ns "$n")
	ip=$(node_ip "$n")
	mkdir -p "$d"
	ledger_add "$LEDGER" netns "$ns"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$UPLINK_NS" link add "n$n-up" type veth peer name eth0 netns "$ns"
	ip -n "$UPLINK_NS" link set "n$n-up" master "$UPLINK_BR" up
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
	# Per-netns on this kernel: the node's own forwarding, bridge netfilter,
	# and no duplicate address detection (addresses usable at once).
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 \
		net.bridge.bridge-nf-call-ip6tables=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.eth0.accept_dad=0
	ip -n "$ns" addr add "$(node_ip6 "$n")/120" dev eth0 nodad
	ip -n "$ns" route add default via 198.19.255.1
	ip -n "$ns" -6 route add default via 2002:c613:ff00::1
	# Pods of the other node are reached through it (a host-gw overlay).
	local m
	for m in 1 2; do
		((m == n)) && continue
		ip -n "$ns" route add "$(pod_cidr "$m")" via "$(node_ip "$m")"
		ip -n "$ns" -6 route add "$(pod_cidr6 "$m")" via "$(node_ip6 "$m")"
	done

	# The holder: nsenter and unshare exec without forking, so $! is it.
	nsenter --net="/var/run/netns/$ns" unshare --mount --propagation slave \
		setsid bash -c "$(holder_script "$n")" </dev/null >>"$d/holder.log" 2>&1 &
	local h=$!
	ledger_add "$LEDGER" "holder$n" "$h"
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e $d/ready ]] && break
		pid_alive "$h" || { cat "$d/holder.log" >&2; die "node $n: the mount namespace set-up failed"; }
		sleep 0.1
	done
	[[ -e $d/ready ]] || die "node $n: the mount namespace set-up did not finish"
	# Only now is the holder in its new mount namespace; down kills every
	# process in it, so it must never be ours.
	local mnt
	mnt=$(stat -Lc %i "/proc/$h/ns/mnt")
	[[ $mnt != "$(stat -Lc %i /proc/self/ns/mnt)" ]] || die "node $n: the holder is in the host's mount namespace"
	ledger_add "$LEDGER" mntns "$mnt"
	# The kubelet's cgroup root, in every hierarchy, usable by cpuset too.
	local cg
	for cg in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[[ -w $cg ]] || continue
		[[ -e $cg/cgroup.procs ]] || continue
		ledger_add "$LEDGER" cgroup "$cg$CGROUP_PREFIX-n$n"
		mkdir -p "$cg$CGROUP_PREFIX-n$n"
		if [[ -e $cg/cpuset.cpus ]]; then
			cat "$cg/cpuset.cpus" >"$cg$CGROUP_PREFIX-n$n/cpuset.cpus"
			cat "$cg/cpuset.mems" >"$cg$CGROUP_PREFIX-n$n/cpuset.mems"
		fi
	done
	write_node_files "$n"
}

write_node_files() {
	local n=$1 d=$DIR/n$1 name ip
	name=$(node_name "$n")
	ip=$(node_ip "$n")
	cert "node$n" "/O=system:nodes/CN=system:node:$name"
	kubeconfig "$d/kubelet.kubeconfig" "node$n"
	in_node "$n" mkdir -p /etc/cni/net.d /var/lib/kubelet /var/lib/containerd /run/containerd
	in_node "$n" sh -c "cat >/etc/cni/net.d/10-lab.conflist" <<-EOF
		{
		  "cniVersion": "0.4.0",
		  "name": "lab",
		  "plugins": [
		    {
		      "type": "bridge",
		      "bridge": "cni0",
		      "isGateway": true,
		      "ipMasq": false,
		      "hairpinMode": true,
		      "ipam": {
		        "type": "host-local",
		        "ranges": [[{"subnet": "$(pod_cidr "$n")", "gateway": "$(pod_gw "$n")"}], [{"subnet": "$(pod_cidr6 "$n")", "gateway": "$(pod_gw6 "$n")"}]],
		        "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]
		      }
		    },
		    {"type": "portmap", "capabilities": {"portMappings": true}}
		  ]
		}
	EOF
	in_node "$n" sh -c "printf 'nameserver 198.19.255.1\n' >/etc/resolv.conf"
	in_node "$n" sh -c "mkdir -p /etc/containerd && cat >/etc/containerd/config.toml" <<-EOF
		version = 2
		root = "/var/lib/containerd"
		state = "/run/containerd"
		disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
		[grpc]
		  address = "/run/containerd/containerd.sock"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "$IMAGE"
		  # The bounding set lacks CAP_SYS_RESOURCE.
		  restrict_oom_score_adj = true
		  netns_mounts_under_state_dir = true
		  disable_apparmor = true
		  systemd_cgroup = false
		  enable_selinux = false
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    snapshotter = "overlayfs"
		    default_runtime_name = "runc"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
		        SystemdCgroup = false
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "$CNI_BIN"
		    conf_dir = "/etc/cni/net.d"
		    max_conf_num = 1
	EOF
	cat >"$d/kubelet.yaml" <<-EOF
		apiVersion: kubelet.config.k8s.io/v1beta1
		kind: KubeletConfiguration
		authentication:
		  anonymous: {enabled: false}
		  webhook: {enabled: true}
		  x509: {clientCAFile: $PKI/ca.crt}
		authorization: {mode: Webhook}
		address: $ip
		readOnlyPort: 0
		healthzBindAddress: 127.0.0.1
		cgroupDriver: cgroupfs
		cgroupRoot: /$CGROUP_PREFIX-n$n
		cgroupsPerQOS: true
		failCgroupV1: false
		failSwapOn: false
		containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
		clusterDNS: [$DNS_IP]
		clusterDomain: cluster.local
		resolvConf: /etc/resolv.conf
		volumePluginDir: $d/volume-plugins
		rotateCertificates: false
		serverTLSBootstrap: false
		imageGCHighThresholdPercent: 100
		imageGCLowThresholdPercent: 99
		evictionHard: {memory.available: 1Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%}
		evictionPressureTransitionPeriod: 5s
		nodeStatusUpdateFrequency: 4s
		syncFrequency: 10s
		maxPods: 60
	EOF
}

# start NAME N CMD...: a daemon on node N, its log in DIR/NAME.log.
start() {
	local name=$1 n=$2 h
	shift 2
	h=$(holder "$n")
	nsenter -t "$h" -m -n -- setsid "$@" </dev/null >>"$DIR/$name.log" 2>&1 &
	ledger_add "$LEDGER" "pid-$name" "$!"
}

# wait_for WHAT SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	die "$what not ready after ${secs}s (logs in $DIR)"
}

start_control_plane() {
	start etcd 1 "$BIN/etcd" --name lab --data-dir "$DIR/etcd" \
		--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster lab=http://127.0.0.1:2380 --log-level warn
	start kube-apiserver 1 "$BIN/kube-apiserver" --etcd-servers http://127.0.0.1:2379 \
		--advertise-address "$API_IP" --bind-address "$API_IP" --secure-port 6443 \
		--service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged \
		--tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
		--client-ca-file "$PKI/ca.crt" --authorization-mode Node,RBAC \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
		--kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
		--kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
		--kubelet-preferred-address-types InternalIP --profiling=false --v 1
	wait_for "the API server" 120 kubectl_admin get --raw /readyz
	start kube-controller-manager 1 "$BIN/kube-controller-manager" \
		--kubeconfig "$DIR/controller-manager.kubeconfig" \
		--authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
		--authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
		--service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
		--use-service-account-credentials --leader-elect=false --bind-address 127.0.0.1 \
		--cluster-cidr "$CLUSTER_CIDR" --service-cluster-ip-range "$SERVICE_CIDR" \
		--flex-volume-plugin-dir "$DIR/flex" --profiling=false --v 1
	start kube-scheduler 1 "$BIN/kube-scheduler" --kubeconfig "$DIR/scheduler.kubeconfig" \
		--authentication-kubeconfig "$DIR/scheduler.kubeconfig" \
		--authorization-kubeconfig "$DIR/scheduler.kubeconfig" \
		--leader-elect=false --bind-address 127.0.0.1 --profiling=false --v 1
}

# write_proxy_config N MODE: kube-proxy exits when its config file changes, so
# the file is written only when its content differs.
write_proxy_config() {
	local n=$1 mode=$2 f=$DIR/n$1/kube-proxy.yaml tmp
	tmp=$(mktemp "$f.XXXX")
	cat >"$tmp" <<-EOF
		apiVersion: kubeproxy.config.k8s.io/v1alpha1
		kind: KubeProxyConfiguration
		clientConnection: {kubeconfig: $DIR/kube-proxy.kubeconfig}
		mode: $mode
		hostnameOverride: $(node_name "$n")
		clusterCIDR: $CLUSTER_CIDR
		bindAddress: $(node_ip "$n")
		healthzBindAddress: $(node_ip "$n"):10256
		metricsBindAddress: 127.0.0.1:10249
		# No conntrack sysctl changes: they are not per netns.
		conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s, udpTimeout: 0s, udpStreamTimeout: 0s}
		iptables: {minSyncPeriod: 0s, syncPeriod: 30s}
		nftables: {minSyncPeriod: 0s, syncPeriod: 30s}
	EOF
	if cmp -s "$tmp" "$f"; then rm -f "$tmp"; else mv "$tmp" "$f"; fi
}

start_node_daemons() {
	local n=$1 d=$DIR/n$1
	start "containerd-n$n" "$n" containerd --config /etc/containerd/config.toml
	wait_for "containerd on node $n" 60 in_node "$n" test -S /run/containerd/containerd.sock
	in_node "$n" ctr -n k8s.io images import "$DIR/image.tar" >/dev/null
	start "kubelet-n$n" "$n" "$BIN/kubelet" --config "$d/kubelet.yaml" --kubeconfig "$d/kubelet.kubeconfig" \
		--hostname-override "$(node_name "$n")" --node-ip "$(node_ip "$n"),$(node_ip6 "$n")" --v 1
	write_proxy_config "$n" "$MODE"
	start_proxy "$n"
}

start_proxy() {
	start "kube-proxy-n$1" "$1" "$BIN/kube-proxy" --config "$DIR/n$1/kube-proxy.yaml" --v 1
}

node_ready() {
	[[ $(kubectl_admin get node "$(node_name "$1")" \
		-o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]
}

deploy_coredns() {
	local replicas=$1
	kubectl_admin apply -f - >/dev/null <<-EOF
		apiVersion: v1
		kind: ServiceAccount
		metadata: {name: coredns, namespace: kube-system}
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRole
		metadata: {name: "system:coredns"}
		rules:
		- apiGroups: [""]
		  resources: [endpoints, services, pods, namespaces]
		  verbs: [list, watch]
		- apiGroups: [discovery.k8s.io]
		  resources: [endpointslices]
		  verbs: [list, watch]
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRoleBinding
		metadata: {name: "system:coredns"}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
		subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
		---
		apiVersion: v1
		kind: ConfigMap
		metadata: {name: coredns, namespace: kube-system}
		data:
		  Corefile: |
		    .:53 {
		        errors
		        health :8080
		        ready :8181
		        kubernetes cluster.local in-addr.arpa ip6.arpa {
		            pods insecure
		            fallthrough in-addr.arpa ip6.arpa
		        }
		        forward . /etc/resolv.conf
		        cache 30
		        loadbalance
		    }
		---
		apiVersion: apps/v1
		kind: Deployment
		metadata:
		  name: coredns
		  namespace: kube-system
		  labels: {k8s-app: kube-dns}
		spec:
		  replicas: $replicas
		  selector: {matchLabels: {k8s-app: kube-dns}}
		  template:
		    metadata: {labels: {k8s-app: kube-dns}}
		    spec:
		      serviceAccountName: coredns
		      dnsPolicy: Default
		      topologySpreadConstraints:
		      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {k8s-app: kube-dns}}}
		      containers:
		      - name: coredns
		        image: $IMAGE
		        imagePullPolicy: Never
		        command: [/usr/local/bin/coredns, -conf, /etc/coredns/Corefile]
		        ports:
		        - {name: dns, containerPort: 53, protocol: UDP}
		        - {name: dns-tcp, containerPort: 53, protocol: TCP}
		        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
		        livenessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 10}
		        resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 128Mi}}
		        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
		      volumes: [{name: config, configMap: {name: coredns}}]
		---
		apiVersion: v1
		kind: Service
		metadata:
		  name: kube-dns
		  namespace: kube-system
		  labels: {k8s-app: kube-dns}
		spec:
		  clusterIP: $DNS_IP
		  selector: {k8s-app: kube-dns}
		  ports:
		  - {name: dns, port: 53, protocol: UDP}
		  - {name: dns-tcp, port: 53, protocol: TCP}
	EOF
}

coredns_ready() {
	local want=$1 got
	got=$(kubectl_admin -n kube-system get deploy coredns -o 'jsonpath={.status.readyReplicas}')
	[[ ${got:-0} -ge $want ]]
}

write_state() {
	local n parts=()
	for ((n = 1; n <= $1; n++)); do
		parts+=("$(jq -n --argjson n "$n" --arg name "$(node_name "$n")" --arg ns "$(node_ns "$n")" \
			--arg ip "$(node_ip "$n")" --arg cidr "$(pod_cidr "$n")" --argjson h "$(holder "$n")" \
			--arg ip6 "$(node_ip6 "$n")" --arg cidr6 "$(pod_cidr6 "$n")" \
			'{index: $n, name: $name, netnsName: $ns, netns: ("/proc/" + ($h|tostring) + "/ns/net"),
			  holderPid: $h, ip: $ip, ip6: $ip6, podCIDR: $cidr, podCIDR6: $cidr6, criEndpoint: "unix:///run/containerd/containerd.sock"}')")
	done
	printf '%s\n' "${parts[@]}" | jq -s --arg dir "$DIR" --arg bin "$BIN" --arg mode "$MODE" \
		--arg kc "$DIR/admin.kubeconfig" --arg svc "$SERVICE_CIDR" --arg dns "$DNS_IP" --arg image "$IMAGE" \
		'{dir: $dir, bin: $bin, proxyMode: $mode, kubeconfig: $kc, serviceCIDR: $svc, dnsIP: $dns,
		  image: $image, nodes: .}' >"$STATE.tmp"
	mv "$STATE.tmp" "$STATE"
}

# patch_pod_cidrs N: the node's pod ranges, as a controller manager that
# allocates them would set them (once: later patches are refused).
patch_pod_cidrs() {
	kubectl_admin patch node "$(node_name "$1")" -p \
		"{\"spec\":{\"podCIDR\":\"$(pod_cidr "$1")\",\"podCIDRs\":[\"$(pod_cidr "$1")\",\"$(pod_cidr6 "$1")\"]}}" >/dev/null
}

add_node() {
	local n=$1
	make_node "$n"
	start_node_daemons "$n"
	wait_for "node $n Ready" 180 node_ready "$n"
	# kubectl patch is refused once set; the kubelet reports what the CNI uses.
	patch_pod_cidrs "$n"
}

cmd_up() {
	need_root
	[[ $NODES == 1 || $NODES == 2 ]] || die "--nodes must be 1 or 2"
	[[ $MODE == iptables || $MODE == nftables ]] || die "--proxy-mode must be iptables or nftables"
	[[ ! -e $LEDGER ]] || die "a lab exists in $DIR: run 'k8snode.sh down' first"
	! ip netns list | grep -qw "^$UPLINK_NS" || die "netns $UPLINK_NS exists: another lab runs; run 'k8snode.sh down' first"
	built || die "the binaries in $BIN are missing or stale: run 'k8snode.sh build' (cold: ~25 min)"
	need_tools ip nsenter unshare setsid containerd ctr runc jq busybox openssl iptables nft conntrack
	mkdir -p "$DIR"
	: >"$LEDGER"
	ledger_add "$LEDGER" name "$NAME"
	trap 'up_exit $?' EXIT
	trap 'exit 1' INT TERM
	log "up: $NODES node(s), kube-proxy in $MODE mode, state in $DIR"
	make_pki
	"$BIN/ndcri" image-build -o "$DIR/image.tar" -name "$IMAGE" -add "$BIN/coredns:/usr/local/bin/coredns"
	make_uplink
	make_node 1
	start_control_plane
	start_node_daemons 1
	wait_for "node 1 Ready" 180 node_ready 1
	patch_pod_cidrs 1
	((NODES < 2)) || add_node 2
	deploy_coredns "$NODES"
	wait_for "CoreDNS" 180 coredns_ready "$NODES"
	write_state "$NODES"
	trap - EXIT INT TERM
	log "up: $(kubectl_admin get nodes --no-headers | awk '{print $1 " " $2}' | paste -sd, -); run netdiag with: scripts/k8snode.sh exec 1 netdiag --node-netns /proc/self/ns/net ..."
}

up_exit() {
	(($1 != 0)) || return 0
	trap - EXIT INT TERM
	local f
	for f in "$DIR"/*.log "$DIR"/n*/holder.log; do
		[[ -s $f ]] || continue
		log "the end of $f:"
		tail -n 8 "$f" >&2
	done
	log "up failed; removing what was made"
	do_down || true
}

# --- down -------------------------------------------------------------------

# lab_pids: every process in one of the lab's mount namespaces or cgroups.
lab_pids() {
	local -a mnt=()
	local self
	self=$(stat -Lc %i /proc/self/ns/mnt)
	mapfile -t mnt < <(ledger_get "$LEDGER" mntns | grep -vx "$self")
	local d p ino m
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		((p != $$)) || continue
		ino=$(stat -Lc %i "$d/ns/mnt" 2>/dev/null) || continue
		for m in "${mnt[@]}"; do
			[[ $ino == "$m" ]] && { echo "$p"; break; }
		done
	done
	local cg
	for cg in $(ledger_get "$LEDGER" cgroup); do
		cgroup_pids "$cg"
	done
}

do_down() {
	local failed=0 i
	local -a pids=()
	# The kubelets and containerds first so that nothing restarts pods, then
	# everything else in the lab's namespaces (shims, pods, the holders).
	for i in 1 2; do
		for p in $(ledger_get "$LEDGER" "pid-kubelet-n$i") $(ledger_get "$LEDGER" "pid-containerd-n$i"); do
			pid_alive "$p" && pids+=("$p")
		done
	done
	((${#pids[@]} == 0)) || kill_pids "${pids[@]}"
	for i in 1 2 3; do
		mapfile -t pids < <(lab_pids | awk '$1 > 1' | sort -un)
		((${#pids[@]})) || break
		kill_pids "${pids[@]}"
	done
	mapfile -t pids < <(lab_pids | awk '$1 > 1' | sort -un)
	((${#pids[@]} == 0)) || { log "processes left in the lab: ${pids[*]}"; failed=1; }

	local cg
	for cg in $(ledger_get "$LEDGER" cgroup); do
		rmdir_tree "$cg" || { log "cannot remove cgroup $cg"; failed=1; }
	done
	local ns
	for ns in $(ledger_get "$LEDGER" netns); do
		[[ -e /var/run/netns/$ns ]] || continue
		ip netns del "$ns" || { log "cannot remove netns $ns"; failed=1; }
	done
	if ((failed == 0)); then
		safe_rm_dir "$DIR"
	else
		log "left $DIR in place: something of the lab is still in use"
	fi
	return "$failed"
}

cmd_down() {
	need_root
	[[ -e $LEDGER ]] || { log "no lab in $DIR"; return 0; }
	do_down || die "down left something behind (see above)"
	log "down: lab in $DIR removed"
}

cmd_status() {
	[[ -f $STATE ]] || die "no lab in $DIR (no $STATE)"
	cat "$STATE"
}

cmd_proxy_mode() {
	need_root
	local mode=${1:-}
	[[ $mode == iptables || $mode == nftables ]] || die "proxy-mode wants iptables or nftables"
	[[ -f $STATE ]] || die "no lab in $DIR"
	local n count p
	count=$(jq '.nodes | length' "$STATE")
	for ((n = 1; n <= count; n++)); do
		for p in $(ledger_get "$LEDGER" "pid-kube-proxy-n$n"); do
			pid_alive "$p" && kill_pids "$p"
		done
		write_proxy_config "$n" "$mode"
		start_proxy "$n"
	done
	MODE=$mode
	write_state "$count"
	for ((n = 1; n <= count; n++)); do
		wait_for "kube-proxy on node $n" 60 proxy_synced "$n" "$mode"
	done
	log "kube-proxy runs in $mode mode on $count node(s)"
}

# proxy_synced N MODE: kube-proxy of node N is healthy and its rules are there.
proxy_synced() {
	in_node "$1" curl -sf "http://$(node_ip "$1"):10256/healthz" >/dev/null || return 1
	if [[ $2 == nftables ]]; then
		in_node "$1" nft list table ip kube-proxy >/dev/null 2>&1
	else
		in_node "$1" iptables -t nat -S KUBE-SERVICES >/dev/null 2>&1
	fi
}

cmd_proxy() {
	need_root
	local what=${1:-} n=${2:-} p
	[[ $n =~ ^[12]$ && -f $STATE ]] || die "proxy wants stop|start and a node number of a running lab"
	case $what in
	stop)
		for p in $(ledger_get "$LEDGER" "pid-kube-proxy-n$n"); do
			if pid_alive "$p"; then kill_pids "$p"; fi
		done
		;;
	start)
		MODE=$(jq -r .proxyMode "$STATE")
		start_proxy "$n"
		wait_for "kube-proxy on node $n" 60 proxy_synced "$n" "$MODE"
		;;
	*) die "proxy wants stop or start" ;;
	esac
}

cmd_nodes() {
	need_root
	[[ ${1:-} == 2 ]] || die "nodes: only 'nodes 2' (add the second node) is supported"
	[[ -f $STATE ]] || die "no lab in $DIR"
	(($(jq '.nodes | length' "$STATE") < 2)) || { log "the lab has 2 nodes already"; return 0; }
	MODE=$(jq -r .proxyMode "$STATE")
	add_node 2
	kubectl_admin -n kube-system scale deploy coredns --replicas 2 >/dev/null
	wait_for "CoreDNS" 180 coredns_ready 2
	write_state 2
	log "node 2 added"
}

case $CMD in
build) cmd_build ;;
built) built ;;
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
exec)
	[[ ${1:-} =~ ^[12]$ ]] || die "exec wants a node number (1 or 2) and a command"
	n=$1
	shift
	(($#)) || die "exec wants a command"
	in_node "$n" "$@"
	;;
kubectl) kubectl_admin "$@" ;;
proxy-mode) cmd_proxy_mode "$@" ;;
proxy) cmd_proxy "$@" ;;
nodes) cmd_nodes "$@" ;;
-h | --help | help | "") usage ;;
*) log "unknown command '$CMD'"; usage ;;
esac
