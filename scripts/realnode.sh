#!/usr/bin/env bash
# realnode.sh: a real container runtime for netdiag's integration tests:
# containerd + runc + the CNI bridge plugin (Debian packages), with its own
# config, root, state and socket under DIR, running pods through CRI.
#
#   realnode.sh up     [--dir DIR] [--name NAME] [--pods N] [--ndcri PATH]
#   realnode.sh down   [--dir DIR] [--name NAME]
#   realnode.sh status [--dir DIR]
#
# Safety: the host netns is never changed. containerd runs inside its own node
# netns ndreal-NAME, entered with `nsenter --net` only (not `ip netns exec`,
# whose private mount namespace would hide containerd's netns bind mounts from
# everyone else). The CNI bridge cbr0 (198.19.0.0/24), the pods' host veths and
# the ip_forward=1 the bridge plugin sets all live in that netns, which has no
# other interface, so no pod traffic can leave the machine.
#
# up writes DIR/state.json: socket, endpoint, node netns, host root (kubelet's
# var/log/pods and var/lib/kubelet under DIR/host) and per pod the sandbox id,
# name, uid, ip, pid, netns path and containers. Each pod runs one container
# "app": busybox httpd on port 8080 serving the pod's hostname (= pod name).
#
# down stops the pods, containerd (by recorded PID) and its shims, unmounts
# everything under DIR, removes the pods' cgroups (/ndreal-NAME/...), the node
# netns and DIR. It works after a partial up and can run any number of times.
set -euo pipefail

PROG=realnode.sh
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$SCRIPTS/lib/common.sh"
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

MAX_PODS=50
BRIDGE=cbr0
SUBNET=198.19.0.0/24
GATEWAY=198.19.0.1
CNI_BIN=/usr/lib/cni
IMAGE=docker.io/netdiag/busybox:local
POD_NAMESPACE=default
POD_BASENAME=web
HTTP_PORT=8080

usage() {
	cat >&2 <<-EOF
		usage: realnode.sh up|down|status [--dir DIR] [--name NAME] [--pods N] [--ndcri PATH]
		  --dir DIR      private directory (default /run/netdiag-realnode)
		  --name NAME    names the node netns ndreal-NAME and cgroups /ndreal-NAME
		                 (default "real" for the default DIR, else from DIR's base name)
		  --pods N       pods to start (up), 0..$MAX_PODS, default 2
		  --ndcri PATH   a built ndcri (default: go build into DIR/bin)
	EOF
	exit 2
}

CMD=${1:-}
[[ -n $CMD ]] || usage
shift
DEFAULT_DIR=/run/netdiag-realnode
DIR=$DEFAULT_DIR
NAME=
PODS=2
NDCRI=${NDCRI:-}
while (($#)); do
	case $1 in
	--dir) DIR=${2:?--dir needs a value}; shift 2 ;;
	--name) NAME=${2:?--name needs a value}; shift 2 ;;
	--pods) PODS=${2:?--pods needs a value}; shift 2 ;;
	--ndcri) NDCRI=${2:?--ndcri needs a value}; shift 2 ;;
	-h | --help) usage ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done
[[ $DIR == /* ]] || DIR=$PWD/$DIR
DIR=${DIR%/}
[[ $DIR != / && $DIR != *..* ]] || die "bad --dir '$DIR'"
if ! [[ $PODS =~ ^[0-9]+$ ]] || ((PODS > MAX_PODS)); then die "--pods must be 0..$MAX_PODS"; fi

LEDGER=$DIR/ledger
STATE=$DIR/state.json
SOCK=$DIR/containerd.sock
HOSTROOT=$DIR/host

# The name comes from the flag, else from what up recorded, else from DIR
# ("real" for the default), so that down of one directory never sweeps the
# netns or cgroups of a node living in another.
if [[ -z $NAME ]]; then NAME=$(ledger_get "$LEDGER" name | head -n1); fi
if [[ -z $NAME ]]; then
	if [[ $DIR == "$DEFAULT_DIR" ]]; then
		NAME=real
	else
		NAME=$(basename "$DIR" | tr 'A-Z_.' 'a-z--' | tr -cd 'a-z0-9-' | cut -c1-24)
		NAME=${NAME#-}
	fi
fi
valid_name "$NAME"
NODE_NS=ndreal-$NAME
NODE_NS_PATH=/var/run/netns/$NODE_NS
CGROUP_REL=/ndreal-$NAME
CNI_NET=ndreal-$NAME

# --- up ---------------------------------------------------------------------

# ensure_packages installs what is missing; a no-op when all is there.
ensure_packages() {
	local -a need=()
	command -v containerd >/dev/null || need+=(containerd)
	command -v ctr >/dev/null || need+=(containerd)
	command -v runc >/dev/null || need+=(runc)
	[[ -x $CNI_BIN/bridge && -x $CNI_BIN/host-local && -x $CNI_BIN/loopback ]] || need+=(containernetworking-plugins)
	command -v busybox >/dev/null || need+=(busybox-static)
	command -v jq >/dev/null || need+=(jq)
	((${#need[@]})) || return 0
	log "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${need[@]}" >&2 ||
		{ apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${need[@]}" >&2; }
}

write_configs() {
	mkdir -p "$DIR/cni/net.d" "$DIR/cni/ipam" "$DIR/root" "$DIR/state" "$DIR/runc" "$DIR/opt" "$HOSTROOT/etc"
	cat >"$DIR/containerd.toml" <<-EOF
		version = 2
		root = "$DIR/root"
		state = "$DIR/state"
		disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

		[grpc]
		  address = "$SOCK"
		[ttrpc]
		  address = "$SOCK.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""

		[plugins."io.containerd.internal.v1.opt"]
		  path = "$DIR/opt"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "$IMAGE"
		  # The bounding set here lacks CAP_SYS_RESOURCE; without this the first
		  # RunPodSandbox fails ("can't get final child's PID from pipe: EOF").
		  restrict_oom_score_adj = true
		  # Pod netns bind mounts under DIR, not in the host's /var/run/netns.
		  netns_mounts_under_state_dir = true
		  # PID 1 need not be systemd: cgroupfs driver.
		  systemd_cgroup = false
		  enable_selinux = false
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    snapshotter = "overlayfs"
		    default_runtime_name = "runc"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
		        SystemdCgroup = false
		        Root = "$DIR/runc"
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "$CNI_BIN"
		    conf_dir = "$DIR/cni/net.d"
		    max_conf_num = 1
	EOF
	cat >"$DIR/cni/net.d/10-$CNI_NET.conflist" <<-EOF
		{
		  "cniVersion": "0.4.0",
		  "name": "$CNI_NET",
		  "plugins": [
		    {
		      "type": "bridge",
		      "bridge": "$BRIDGE",
		      "isGateway": true,
		      "ipMasq": false,
		      "hairpinMode": true,
		      "ipam": {
		        "type": "host-local",
		        "ranges": [[{"subnet": "$SUBNET", "gateway": "$GATEWAY"}]],
		        "routes": [{"dst": "0.0.0.0/0"}],
		        "dataDir": "$DIR/cni/ipam"
		      }
		    }
		  ]
		}
	EOF
	printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$GATEWAY" "$NODE_NS" >"$HOSTROOT/etc/hosts"
	printf '%s\n' "$NODE_NS" >"$HOSTROOT/etc/hostname"
}

build_ndcri() {
	if [[ -n $NDCRI ]]; then
		[[ -x $NDCRI ]] || die "--ndcri $NDCRI is not executable"
		return
	fi
	need_tools go
	NDCRI=$DIR/bin/ndcri
	log "building ndcri (slow the first time)"
	(cd "$SCRIPTS/.." && CGO_ENABLED=0 go build -o "$NDCRI" ./internal/cmd/ndcri)
}

ndcri() { "$NDCRI" -r "unix://$SOCK" "$@"; }

start_containerd() {
	ledger_add "$LEDGER" netns "$NODE_NS"
	ip netns add "$NODE_NS"
	ip -n "$NODE_NS" link set lo up
	# setsid and nsenter exec without forking here, so $! is containerd.
	nsenter --net="$NODE_NS_PATH" setsid containerd --config "$DIR/containerd.toml" \
		</dev/null >>"$DIR/containerd.log" 2>&1 &
	local pid=$!
	ledger_add "$LEDGER" containerd "$pid"
	local i
	for ((i = 0; i < 300; i++)); do
		[[ -S $SOCK ]] && break
		pid_alive "$pid" || die "containerd exited"
		sleep 0.1
	done
	[[ -S $SOCK ]] || die "containerd did not create $SOCK in 30 s"
	ndcri -timeout 60s wait || die "CRI not ready"
}

cmd_up() {
	need_root
	[[ ! -e $LEDGER ]] || die "a real node exists in $DIR: run 'realnode.sh down --dir $DIR' first"
	if [[ -e $DIR ]] && [[ -n $(ls -A "$DIR") ]]; then die "$DIR is not empty: choose a new --dir"; fi
	ensure_packages
	need_tools ip nsenter setsid containerd ctr runc jq busybox
	mkdir -p "$DIR"
	: >"$LEDGER"
	ledger_add "$LEDGER" name "$NAME"
	trap 'up_exit $?' EXIT
	trap 'exit 1' INT TERM

	# containerd and libcni put shim sockets and CNI result caches here
	# whatever the config says; remove these directories again if we made them.
	local g
	for g in /run/containerd/s /run/containerd /var/lib/cni/results /var/lib/cni; do
		[[ -e $g ]] || ledger_add "$LEDGER" globaldir "$g"
	done

	build_ndcri
	ledger_add "$LEDGER" ndcri "$NDCRI"
	write_configs
	"$NDCRI" image-build -o "$DIR/image.tar" -name "$IMAGE"
	start_containerd
	ctr --address "$SOCK" -n k8s.io images import "$DIR/image.tar" >/dev/null

	local i uid
	: >"$DIR/pods.json"
	for ((i = 0; i < PODS; i++)); do
		read -r uid </proc/sys/kernel/random/uuid
		ndcri run-pod -name "$POD_BASENAME-$i" -namespace "$POD_NAMESPACE" -uid "$uid" \
			-cgroup-parent "$CGROUP_REL/kubepods/besteffort/pod$uid" -image "$IMAGE" -host-root "$HOSTROOT" \
			-- sh -c "hostname >/tmp/index.html; exec httpd -f -p $HTTP_PORT -h /tmp" >>"$DIR/pods.json"
	done

	jq -n --arg name "$NAME" --arg dir "$DIR" --arg sock "$SOCK" --arg ns "$NODE_NS" \
		--arg nspath "$NODE_NS_PATH" --arg host "$HOSTROOT" --arg bridge "$BRIDGE" --arg subnet "$SUBNET" \
		--arg gw "$GATEWAY" --arg image "$IMAGE" --arg ndcri "$NDCRI" --arg cg "$CGROUP_REL" \
		--argjson pid "$(ledger_get "$LEDGER" containerd | head -n1)" --argjson port "$HTTP_PORT" \
		--slurpfile pods "$DIR/pods.json" \
		'{name: $name, dir: $dir, socket: $sock, endpoint: ("unix://" + $sock), nodeNetnsName: $ns,
		  nodeNetns: $nspath, hostRoot: $host, bridge: $bridge, subnet: $subnet, gateway: $gw,
		  image: $image, ndcri: $ndcri, cgroupRoot: $cg, containerdPid: $pid, httpPort: $port, pods: $pods}' \
		>"$STATE.tmp"
	mv "$STATE.tmp" "$STATE"
	trap - EXIT INT TERM
	log "real node '$NAME' up: $PODS pods; netdiag --runtime-endpoint unix://$SOCK --node-netns $NODE_NS_PATH --host-root $HOSTROOT"
}

up_exit() {
	(($1 != 0)) || return 0
	trap - EXIT INT TERM
	if [[ -s $DIR/containerd.log ]]; then
		log "up failed; the end of containerd's log (DIR is about to go):"
		tail -n 20 "$DIR/containerd.log" >&2
	fi
	log "up failed; removing what was made"
	do_down || true
}

# --- down -------------------------------------------------------------------

# is_ours PID: a process whose command line names our socket or config.
is_ours() {
	local cmdline
	cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"$DIR/containerd.toml"* || $cmdline == *"-address $SOCK "* ]]
}

do_down() {
	local p d failed=0
	local -a pids=()

	# Pods first, through CRI, while containerd still runs.
	local ctrd nd
	ctrd=$(ledger_get "$LEDGER" containerd | head -n1)
	nd=$(ledger_get "$LEDGER" ndcri | head -n1)
	if [[ -n $ctrd ]] && pid_alive "$ctrd" && is_ours "$ctrd" && [[ -S $SOCK && -x $nd ]]; then
		"$nd" -r "unix://$SOCK" -timeout 40s rm-pods || log "could not remove pods through CRI; killing them"
	fi

	# containerd, then its shims (they outlive it, reparented to PID 1), then
	# whatever still runs in the pods' cgroups.
	[[ -n $ctrd ]] && pid_alive "$ctrd" && is_ours "$ctrd" && kill_pids "$ctrd"
	local -a ids=()
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[[ $(readlink "$d/exe" 2>/dev/null) == */containerd-shim* ]] && is_ours "$p" && pids+=("$p")
	done
	((${#pids[@]} == 0)) || kill_pids "${pids[@]}"
	# Sandboxes and containers containerd knew of, for the files a clean stop
	# would have removed outside DIR.
	if [[ -d $DIR/state/io.containerd.runtime.v2.task/k8s.io ]]; then
		mapfile -t ids < <(ls "$DIR/state/io.containerd.runtime.v2.task/k8s.io")
	fi
	for d in "${ids[@]}"; do
		# A shim listens on /run/containerd/s/sha256(ADDRESS/NAMESPACE/ID).
		rm -f "/run/containerd/s/$(printf '%s' "$SOCK/k8s.io/$d" | sha256sum | cut -d' ' -f1)"
		rm -f "/var/lib/cni/results/cni-loopback-$d-lo"
	done
	pids=()
	for d in /sys/fs/cgroup/*"$CGROUP_REL" /sys/fs/cgroup"$CGROUP_REL"; do
		[[ -d $d ]] && mapfile -t -O "${#pids[@]}" pids < <(cgroup_pids "$d")
	done
	((${#pids[@]} == 0)) || kill_pids "${pids[@]}"

	# Mounts under DIR (rootfs overlays, netns bind mounts, shm), deepest first.
	local -a mnts=()
	mapfile -t mnts < <(awk -v d="$DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-)
	for d in "${mnts[@]}"; do
		umount "$d" 2>/dev/null || umount -l "$d" 2>/dev/null || { log "cannot unmount $d"; failed=1; }
	done

	for d in /sys/fs/cgroup/*"$CGROUP_REL" /sys/fs/cgroup"$CGROUP_REL"; do
		[[ -d $d ]] || continue
		rmdir_tree "$d" || { log "cannot remove cgroup $d"; failed=1; }
	done

	if [[ -e $NODE_NS_PATH ]]; then
		ip netns del "$NODE_NS" || { log "cannot remove netns $NODE_NS"; failed=1; }
	fi
	rm -f /var/lib/cni/results/"$CNI_NET"-*
	for d in $(ledger_get "$LEDGER" globaldir | tac); do
		rmdir "$d" 2>/dev/null || true
	done

	if ((failed == 0)); then
		safe_rm_dir "$DIR"
	else
		log "left $DIR in place: something under it is still in use"
	fi
	return "$failed"
}

cmd_down() {
	need_root
	do_down || die "down left something behind (see above)"
	log "real node '$NAME' in $DIR down"
}

cmd_status() {
	[[ -f $STATE ]] || die "no real node in $DIR (no $STATE)"
	cat "$STATE"
}

case $CMD in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*) log "unknown command '$CMD'"; usage ;;
esac
