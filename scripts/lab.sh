#!/usr/bin/env bash
# lab.sh: a simulated Kubernetes node inside network namespaces, for netdiag's
# tests, benchmarks and first steps. Nothing here touches the host netns.
#
#   lab.sh up     [--name NAME] [--pods N] [--dir HOSTROOT]
#   lab.sh down   [--name NAME]
#   lab.sh status [--name NAME]
#
# up creates:
#   - netns ndlab-NAME (the "node") with bridge cbr0 198.18.0.1/24 and ip_forward on;
#   - per pod I (0-based): netns ndlab-NAME-pI, eth0 with 198.18.0.(10+I)/24 and a
#     default route via cbr0, its host-side veth vethXXXXXXXX on cbr0 in the node
#     netns, a pod UID, sandbox and container ids and a `sleep infinity` process in
#     that netns, placed in cgroup /ndlab-NAME/kubepods/besteffort/pod<uid>/<cid>
#     of every hierarchy (cpuset excepted);
#   - a host root (default /run/netdiag-lab/NAME/root) with kubelet's files:
#     var/log/pods/<ns>_<name>_<uid>/<container>/0.log,
#     var/lib/kubelet/pods/<uid>/etc-hosts and etc/hosts;
#   - /run/netdiag-lab/NAME/lab.json, the state `status` prints.
# Point netdiag at it with: --node-netns /var/run/netns/ndlab-NAME --host-root HOSTROOT
#
#   lab.sh fault FAULT [ARG] [--name NAME]   inject a failure (see scripts/lib/faults.sh)
#   lab.sh heal  FAULT [--name NAME]         undo it, restoring the state before
#   lab.sh faults [--name NAME]              list the faults injected
#   lab.sh dns up|down [--name NAME]         DNS servers in pods 1 and 2 behind a
#                                            kube-dns service 198.18.200.53
#
# down removes everything up recorded in /run/netdiag-lab/NAME/ledger, and also
# sweeps by name (netns ndlab-NAME*, cgroups ndlab-NAME), so it works after a
# partial up and can run any number of times.
set -euo pipefail

PROG=lab.sh
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$SCRIPTS/lib/common.sh"
# fault, heal, faults and dns: the failure modes netdiag doctor diagnoses.
# shellcheck source-path=SCRIPTDIR source=lib/faults.sh
source "$SCRIPTS/lib/faults.sh"

LAB_BASE=${NETDIAG_LAB_BASE:-/run/netdiag-lab}
MAX_PODS=200
SUBNET_PREFIX=198.18.0
GATEWAY=$SUBNET_PREFIX.1
PREFIX_LEN=24
BRIDGE=cbr0
POD_NAMESPACE=default
POD_BASENAME=web
CONTAINER_NAME=app
NO_DNS='# lab.sh: no cluster DNS; `lab.sh dns up` writes it here'

usage() {
	cat >&2 <<-EOF
		usage: lab.sh up|down|status|faults [--name NAME] [--pods N] [--dir HOSTROOT]
		       lab.sh fault|heal FAULT [ARG] [--name NAME]
		       lab.sh dns up|down [--name NAME]
		  faults: $FAULT_NAMES
		  --name NAME   lab name, [a-z0-9-], default "lab"; labs with different names coexist
		  --pods N      pods to create (up), 1..$MAX_PODS, default 3
		  --dir DIR     host root for kubelet-style files (up), default $LAB_BASE/NAME/root;
		                must not exist or be empty
	EOF
	exit 2
}

# --- arguments --------------------------------------------------------------

CMD=${1:-}
[[ -n $CMD ]] || usage
shift
NAME=lab
PODS=3
HOSTROOT=
ARGS=() # positional arguments, for commands that take them
while (($#)); do
	case $1 in
	--name) NAME=${2:?--name needs a value}; shift 2 ;;
	--pods) PODS=${2:?--pods needs a value}; shift 2 ;;
	--dir) HOSTROOT=${2:?--dir needs a value}; shift 2 ;;
	-h | --help) usage ;;
	-*) log "unknown option '$1'"; usage ;;
	*) ARGS+=("$1"); shift ;;
	esac
done
valid_name "$NAME"
# Pod netns names are ndlab-NAME-pI: a lab named like a pod would collide.
[[ ! $NAME =~ -p[0-9]+$ ]] || die "bad name '$NAME': must not end in -pN"
if ! [[ $PODS =~ ^[0-9]+$ ]] || ((PODS < 1 || PODS > MAX_PODS)); then die "--pods must be 1..$MAX_PODS"; fi

STATE_DIR=$LAB_BASE/$NAME
LEDGER=$STATE_DIR/ledger
STATE=$STATE_DIR/lab.json
NODE_NS=ndlab-$NAME
NODE_NS_PATH=/var/run/netns/$NODE_NS
CGROUP_REL=/ndlab-$NAME
[[ -n $HOSTROOT ]] || HOSTROOT=$STATE_DIR/root
[[ $HOSTROOT == /* ]] || HOSTROOT=$PWD/$HOSTROOT

# --- up ---------------------------------------------------------------------

# uuid4 VAR HEX32: sets VAR to 32 random hex digits formatted as a version 4
# UUID (printf -v: no subshell, which matters with 200 pods).
uuid4() {
	local h=$2
	printf -v "$1" '%s-%s-4%s-%x%s-%s' "${h:0:8}" "${h:8:4}" "${h:13:3}" $(((0x${h:16:1} & 3) | 8)) "${h:17:3}" "${h:20:12}"
}

cmd_up() {
	need_root
	need_tools ip nsenter setsid sleep od awk find unshare mount
	[[ ! -e $LEDGER ]] || die "lab '$NAME' exists: run 'lab.sh down --name $NAME' first"
	if [[ -e $HOSTROOT ]] && [[ -n $(ls -A "$HOSTROOT") ]]; then
		die "host root $HOSTROOT is not empty: choose a new --dir"
	fi
	mkdir -p "$STATE_DIR"
	: >"$LEDGER"
	# Any failure from here on (die included) undoes the partial lab.
	trap 'up_exit $?' EXIT
	trap 'exit 1' INT TERM

	local -a hier=()
	mapfile -t hier < <(cgroup_hierarchies)
	((${#hier[@]} > 0)) || die "no cgroup hierarchy found under /sys/fs/cgroup"

	ledger_add "$LEDGER" dir "$HOSTROOT"
	mkdir -p "$HOSTROOT"

	# The node.
	ledger_add "$LEDGER" netns "$NODE_NS"
	ip netns add "$NODE_NS"
	ip -n "$NODE_NS" -batch - <<-EOF
		link set lo up
		link add $BRIDGE type bridge
		addr add $GATEWAY/$PREFIX_LEN dev $BRIDGE
		link set $BRIDGE up
	EOF
	nsenter --net="$NODE_NS_PATH" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'

	# Identities: per pod 16 bytes of UID, 32 of sandbox id, 32 of container id,
	# 4 of veth suffix, from one read of /dev/urandom.
	local rnd i off
	rnd=$(random_hex $((84 * PODS)))
	local -a uid sid cid veth ip pns
	for ((i = 0; i < PODS; i++)); do
		off=$((168 * i))
		uuid4 "uid[i]" "${rnd:off:32}"
		sid[i]=${rnd:off+32:64}
		cid[i]=${rnd:off+96:64}
		veth[i]=veth${rnd:off+160:8}
		ip[i]=$SUBNET_PREFIX.$((10 + i))
		pns[i]=ndlab-$NAME-p$i
	done

	# Pod namespaces and veths, batched: a few ip processes, not a few per pod.
	for ((i = 0; i < PODS; i++)); do ledger_add "$LEDGER" netns "${pns[i]}"; done
	for ((i = 0; i < PODS; i++)); do echo "netns add ${pns[i]}"; done | ip -batch -
	for ((i = 0; i < PODS; i++)); do
		echo "link add ${veth[i]} type veth peer name eth0 netns ${pns[i]}"
		echo "link set ${veth[i]} master $BRIDGE up"
	done | ip -n "$NODE_NS" -batch -
	for ((i = 0; i < PODS; i++)); do
		ip -n "${pns[i]}" -batch - <<-EOF
			link set lo up
			addr add ${ip[i]}/$PREFIX_LEN dev eth0
			link set eth0 up
			route add default via $GATEWAY dev eth0
		EOF
	done

	# cgroups, kubelet cgroupfs style.
	local h
	for h in "${hier[@]}"; do ledger_add "$LEDGER" cgroup "$h$CGROUP_REL"; done
	local -a dirs=()
	for ((i = 0; i < PODS; i++)); do
		for h in "${hier[@]}"; do dirs+=("$h$CGROUP_REL/kubepods/besteffort/pod${uid[i]}/${cid[i]}"); done
	done
	mkdir -p "${dirs[@]}"

	# One long-running process per pod: the subshell moves itself into the
	# container's cgroups, then becomes (via setsid and nsenter, both exec
	# without forking here) `sleep infinity` in the pod's netns.
	# Like a container, each has its own mount namespace with its own
	# /etc/resolv.conf, a bind mount of $STATE_DIR/pods/pI/resolv.conf that
	# `dns up` fills (propagation slave: netns unmounted on the host are
	# unmounted here too, so no netns is kept alive).
	local -a pid=()
	for ((i = 0; i < PODS; i++)); do
		mkdir -p "$STATE_DIR/pods/p$i"
		printf '%s\n' "$NO_DNS" >"$STATE_DIR/pods/p$i/resolv.conf"
	done
	for ((i = 0; i < PODS; i++)); do
		(
			for h in "${hier[@]}"; do
				echo "$BASHPID" >"$h$CGROUP_REL/kubepods/besteffort/pod${uid[i]}/${cid[i]}/cgroup.procs"
			done
			exec setsid unshare --mount --propagation slave sh -c 'mount --bind "$1" /etc/resolv.conf && exec nsenter --net="$2" sleep infinity' \
				sh "$STATE_DIR/pods/p$i/resolv.conf" "/var/run/netns/${pns[i]}"
		) </dev/null >/dev/null 2>&1 &
		pid[i]=$!
		ledger_add "$LEDGER" pid "${pid[i]}"
	done

	# kubelet's files.
	local hostname
	for ((i = 0; i < PODS; i++)); do
		hostname=$POD_BASENAME-$i
		local logdir=$HOSTROOT/var/log/pods/${POD_NAMESPACE}_${hostname}_${uid[i]}/$CONTAINER_NAME
		local kdir=$HOSTROOT/var/lib/kubelet/pods/${uid[i]}
		mkdir -p "$logdir" "$kdir"
		printf '%s stdout F started %s in %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)" "$CONTAINER_NAME" "$hostname" >"$logdir/0.log"
		cat >"$kdir/etc-hosts" <<-EOF
			# Kubernetes-managed hosts file.
			127.0.0.1	localhost
			::1	localhost ip6-localhost ip6-loopback
			fe00::0	ip6-localnet
			fe00::0	ip6-mcastprefix
			fe00::1	ip6-allnodes
			fe00::2	ip6-allrouters
			${ip[i]}	$hostname
		EOF
	done
	mkdir -p "$HOSTROOT/etc"
	printf '127.0.0.1\tlocalhost\n%s\tndlab-%s\n' "$GATEWAY" "$NAME" >"$HOSTROOT/etc/hosts"
	printf 'ndlab-%s\n' "$NAME" >"$HOSTROOT/etc/hostname"

	# Wait until every process has become sleep inside its netns, so callers
	# never see a half-started pod.
	local tries comm
	for ((i = 0; i < PODS; i++)); do
		for ((tries = 0; ; tries++)); do
			comm=
			read -r comm 2>/dev/null <"/proc/${pid[i]}/comm" || true
			[[ $comm == sleep ]] && break
			pid_alive "${pid[i]}" || die "pod ${pns[i]}: process ${pid[i]} died while starting"
			((tries < 100)) || die "pod ${pns[i]}: process ${pid[i]} did not start"
			sleep 0.05
		done
	done

	# State.
	{
		printf '{\n  "name": "%s",\n  "nodeNetnsName": "%s",\n  "nodeNetns": "%s",\n' "$NAME" "$NODE_NS" "$NODE_NS_PATH"
		printf '  "hostRoot": "%s",\n  "bridge": "%s",\n  "gateway": "%s",\n  "subnet": "%s.0/%d",\n' \
			"$HOSTROOT" "$BRIDGE" "$GATEWAY" "$SUBNET_PREFIX" "$PREFIX_LEN"
		printf '  "cgroupRoots": ['
		local sep=
		for h in "${hier[@]}"; do printf '%s"%s"' "$sep" "$h$CGROUP_REL"; sep=', '; done
		printf '],\n  "pods": [\n'
		for ((i = 0; i < PODS; i++)); do
			printf '    {"namespace": "%s", "name": "%s-%d", "uid": "%s", "ip": "%s", ' \
				"$POD_NAMESPACE" "$POD_BASENAME" "$i" "${uid[i]}" "${ip[i]}"
			printf '"netnsName": "%s", "netns": "/var/run/netns/%s", "hostVeth": "%s", ' "${pns[i]}" "${pns[i]}" "${veth[i]}"
			printf '"sandboxId": "%s", "containerId": "%s", "containerName": "%s", "pid": %d, ' \
				"${sid[i]}" "${cid[i]}" "$CONTAINER_NAME" "${pid[i]}"
			printf '"cgroup": "%s/kubepods/besteffort/pod%s/%s"}' "$CGROUP_REL" "${uid[i]}" "${cid[i]}"
			((i == PODS - 1)) || printf ','
			printf '\n'
		done
		printf '  ]\n}\n'
	} >"$STATE.tmp"
	mv "$STATE.tmp" "$STATE"
	trap - EXIT INT TERM
	log "lab '$NAME' up: $PODS pods; netdiag --node-netns $NODE_NS_PATH --host-root $HOSTROOT"
}

up_exit() {
	(($1 != 0)) || return 0
	trap - EXIT INT TERM
	log "up failed; removing what was made"
	do_down || true
}

# --- down -------------------------------------------------------------------

do_down() {
	local p h d
	local -a roots=() pids=()

	mapfile -t roots < <(ledger_get "$LEDGER" cgroup)
	# By name too, for a ledger lost or cut short.
	for h in $(cgroup_hierarchies); do
		[[ -d $h$CGROUP_REL ]] && roots+=("$h$CGROUP_REL")
	done

	# Processes: recorded PIDs still in our cgroups (a PID number alone may
	# have been reused), and anything else living in our cgroups.
	for p in $(ledger_get "$LEDGER" pid); do
		grep -q ":$CGROUP_REL/" "/proc/$p/cgroup" 2>/dev/null && pids+=("$p")
	done
	for d in "${roots[@]}"; do
		mapfile -t -O "${#pids[@]}" pids < <(cgroup_pids "$d")
	done
	if ((${#pids[@]})); then
		mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un)
		kill_pids "${pids[@]}"
	fi
	wait 2>/dev/null || true

	local failed=0
	for d in "${roots[@]}"; do
		rmdir_tree "$d" || { log "cannot remove cgroup $d"; failed=1; }
	done

	# Network namespaces: pods first, then the node (its veths go with the pods).
	{
		ledger_get "$LEDGER" netns
		find /var/run/netns -maxdepth 1 -name "ndlab-$NAME-p*" -printf '%f\n' 2>/dev/null | grep -E "^ndlab-$NAME-p[0-9]+\$"
		[[ -e $NODE_NS_PATH ]] && echo "$NODE_NS"
	} | awk '!seen[$0]++' | while read -r d; do
		[[ -e /var/run/netns/$d ]] && echo "netns del $d"
	done | ip -force -batch - 2>/dev/null || true
	for d in $(ledger_get "$LEDGER" netns) "$NODE_NS"; do
		[[ ! -e /var/run/netns/$d ]] || { log "cannot remove netns $d"; failed=1; }
	done

	for d in $(ledger_get "$LEDGER" dir); do safe_rm_dir "$d"; done
	safe_rm_dir "$STATE_DIR"
	return "$failed"
}

cmd_down() {
	need_root
	do_down || die "down left something behind (see above)"
	log "lab '$NAME' down"
}

# --- status -----------------------------------------------------------------

cmd_status() {
	[[ -f $STATE ]] || die "no lab '$NAME' (no $STATE)"
	cat "$STATE"
}

# state_get JQ-FILTER: one value from lab.json, for commands that act on a
# running lab (e.g. `jq`'s '.pods[0].hostVeth').
state_get() {
	[[ -f $STATE ]] || die "no lab '$NAME' (no $STATE)"
	jq -er "$1" "$STATE"
}

# Each command is a function cmd_NAME taking the positional arguments.
no_args() { ((${#ARGS[@]} == 0)) || { log "$CMD takes no argument '${ARGS[0]}'"; usage; }; }

case $CMD in
up | down | status | faults) no_args; "cmd_$CMD" ;;
fault | heal | dns) "cmd_$CMD" "${ARGS[@]}" ;;
*) log "unknown command '$CMD'"; usage ;;
esac
