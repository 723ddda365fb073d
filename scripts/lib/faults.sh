# shellcheck shell=bash
# Fault injection for scripts/lab.sh: each failure mode of
# /work/shared/FAILURE-MODES.md (the check IDs of `netdiag doctor`) made real
# inside the lab's own namespaces, and undone. Sourced by lab.sh, never run;
# it uses lab.sh's globals (NAME, STATE_DIR, LEDGER, NODE_NS, …).
#
#   lab.sh fault FAULT [ARG]   inject; fails when FAULT is already injected
#   lab.sh heal FAULT          undo, restoring what fault saved; a no-op when
#                              FAULT is not injected
#   lab.sh faults              the injected faults, one a line
#   lab.sh dns up|down         DNS servers (ndlab dns-server) on 53 in pods 1
#                              and 2 (pod 1 only with 2 pods) behind the
#                              kube-dns service 198.18.200.53 (kube-proxy rules
#                              in the node netns), and every pod's
#                              /etc/resolv.conf pointing at it (cluster.local
#                              search list, ndots:5); the dns-* faults and
#                              conntrack-insert-failed need it
#
# FAULT (check ID it shows up under, when not the same):
#   ip-forward                net.ipv4.ip_forward=0 in the node netns
#   bridge-nf-call-iptables   net.bridge.bridge-nf-call-iptables=0 in the node
#                             netns (per netns on kernel 6.x; needs br_netfilter
#                             in the kernel: never modprobes)
#   bridge-down               cbr0 down
#   veth-down [POD]           the host veth of pod POD (default 0) down
#   mtu-mismatch              a second node netns (ndlab-NAME.n2) joined by a
#                             veth "uplink" (MTU 1500, the node's default route)
#                             and a VXLAN overlay flannel.1 (UDP 8472) over it;
#                             pods keep MTU 1500 > 1450
#   mtu-veth [POD]            (mtu-mismatch) pod POD's eth0 MTU 1400, its host
#                             veth 1500
#   conntrack-table [PCT|full] the node netns's own conntrack table filled with
#                             ASSURED UDP entries (conntrack -R) to PCT % (default
#                             95) of nf_conntrack_max, or to the max and past it
#                             until the kernel logs "nf_conntrack: table full"
#                             (the kernel log is global: every netns sees it)
#   conntrack-insert-failed   from pod 0 to the kube-dns VIP, in the background
#                             (10 min at most): parallel A/AAAA queries from one
#                             UDP socket (kernel 6.x resolves these clashes:
#                             clash_resolve grows) and the same TCP SYN sent
#                             from two CPUs at once (an unresolvable clash:
#                             insert_failed and drop grow); fails when
#                             insert_failed has not grown within 30 s
#   listen-overflow [POD]     pod POD (default 1): somaxconn 4 and a listener on
#                             :8080 that never accepts, filled by 12 connects
#   stale-container [POD]     containerd task state for every lab container,
#                             and a process of an unknown container (cgroup
#                             named by a fresh id) listening on :8081 in pod POD
#   pod-cidr-overlap          a veth "uplink" to ndlab-NAME.n2 with
#                             198.18.128.1/16, a node network holding the pods
#   overlay-blocked           VXLAN device flannel.1 (dstport 8472) and an
#                             iptables INPUT rule dropping UDP 8472
#   rp-filter [POD]           rp_filter=1 (all and cbr0), a second interface
#                             eth1 198.18.50.1/24 (a veth to ndlab-NAME.n2),
#                             and pod POD sending from
#                             198.18.50.10 so its packets arrive on the wrong
#                             interface (background, 10 min at most)
#   stale-endpoints           kube-proxy rules: default/gone -> 198.18.0.250:8080,
#                             an address in the pod range no pod has
#   no-local-endpoints        kube-proxy rules: shop/nolocal, externalTrafficPolicy
#                             Local, NodePort 30808, no local endpoint; and a few
#                             SYNs from outside the cluster CIDR to that NodePort
#   iptables-mixed-backends   kube-proxy rules (default/web) in both
#                             iptables-legacy and iptables-nft
#   dns-down                  (dns-resolution) the DNS servers stopped
#   dns-slow                  (dns-resolution) the DNS servers answer after 1.5 s
#
# Every process a fault starts lives in a pod's netns and in a cgroup of the
# lab, so `lab.sh down` stops it; everything else lives in the lab's
# namespaces and host root. Rules go to the iptables-nft backend except where
# the fault is about the legacy one. kube-proxy rules are rewritten whole from
# the active service sets (dns, stale-endpoints, no-local-endpoints,
# iptables-mixed-backends) by ndlab kprules (internal/kpgen).

FAULT_NAMES="ip-forward bridge-nf-call-iptables bridge-down veth-down mtu-mismatch mtu-veth conntrack-table conntrack-insert-failed listen-overflow stale-container pod-cidr-overlap overlay-blocked rp-filter stale-endpoints no-local-endpoints iptables-mixed-backends dns-down dns-slow"

# Fixed lab addresses, the same as internal/cmd/ndlab's.
DNS_VIP=198.18.200.53
NODE2_NS_SUFFIX=.n2 # a '.' cannot appear in lab names, so no lab's netns collides
UPLINK=uplink
OVERLAY=flannel.1
CT_DPORT=9 # conntrack-table's entries, and only they, go to this port

fdir() { printf '%s/faults' "$STATE_DIR"; }
ffile() { printf '%s/faults/%s' "$STATE_DIR" "$1"; }
# fset FAULT KEY VALUE / fget FAULT KEY: what a fault saved for its heal.
fset() { ledger_add "$(ffile "$1")" "$2" "$3"; }
fget() { ledger_get "$(ffile "$1")" "$2" | head -n1; }
injected() { [[ -f $(ffile "$1") ]]; }
# active FAULT: injected and not being healed right now.
active() { injected "$1" && [[ ${HEALING:-} != "$1" ]]; }

nsx() { nsenter --net="$NODE_NS_PATH" "$@"; }
node2() { printf 'ndlab-%s%s' "$NAME" "$NODE2_NS_SUFFIX"; }

# sysctl_get/sysctl_set NETNS-PATH KEY [VALUE] (KEY as in /proc/sys, with /).
sysctl_get() { nsenter --net="$1" cat "/proc/sys/$2"; }
sysctl_set() { nsenter --net="$1" sh -c 'echo "$1" >"/proc/sys/$2"' sh "$3" "$2"; }

# save_set FAULT NETNS-PATH KEY VALUE: sets a sysctl, remembering the old value.
save_set() {
	local old
	old=$(sysctl_get "$2" "$3") || die "read sysctl $3 in $2"
	fset "$1" sysctl "$2 $3 $old"
	sysctl_set "$2" "$3" "$4"
}

# restore_sysctls FAULT: puts back every sysctl save_set changed, newest first.
restore_sysctls() {
	local ns key val
	while read -r ns key val; do
		[[ -n $ns ]] || continue
		sysctl_set "$ns" "$key" "$val"
	done < <(ledger_get "$(ffile "$1")" sysctl)
}

pod_field() { state_get ".pods[$1].$2"; }

pod_index() {
	local i=${1:-$2} n
	n=$(state_get '.pods | length')
	[[ $i =~ ^[0-9]+$ ]] && ((i < n)) || die "no pod $i (the lab has pods 0..$((n - 1)))"
	printf '%s' "$i"
}

# spawn FAULT NETNS-PATH CGROUP CMD…: starts CMD in the background in the
# netns and in CGROUP (relative to every hierarchy root), recorded for heal
# (and in the ledger for down). Its output goes to the faults log.
spawn() {
	local f=$1 ns=$2 cg=$3 h pid
	shift 3
	local -a hier=()
	mapfile -t hier < <(cgroup_hierarchies)
	(
		for h in "${hier[@]}"; do echo "$BASHPID" >"$h$cg/cgroup.procs"; done
		exec setsid nsenter --net="$ns" "$@"
	) </dev/null >>"$(fdir)/log" 2>&1 &
	pid=$!
	ledger_add "$LEDGER" pid "$pid"
	fset "$f" pid "$pid"
	SPAWNED=$pid
}

# stop_spawned FAULT: stops the processes FAULT started (still in our cgroups).
stop_spawned() {
	local p
	local -a pids=()
	for p in $(ledger_get "$(ffile "$1")" pid); do
		grep -q ":$CGROUP_REL/" "/proc/$p/cgroup" 2>/dev/null && pids+=("$p")
	done
	((${#pids[@]} == 0)) || kill_pids "${pids[@]}"
}

# wait_listen NETNS-PATH tcp|udp PORT: until something listens there (5 s).
wait_listen() {
	local i flag=-ltnH
	[[ $2 == udp ]] && flag=-lunH
	for ((i = 0; i < 100; i++)); do
		nsenter --net="$1" ss "$flag" "sport = :$3" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	die "nothing listens on $2 $3 in $1 after 5 s (see $(fdir)/log)"
}

# ndlab: the helper program internal/cmd/ndlab; NDLAB names a built one,
# otherwise it is built once into the lab base directory.
ndlab_bin() {
	if [[ -n ${NDLAB:-} ]]; then
		[[ -x $NDLAB ]] || die "NDLAB=$NDLAB is not executable"
		printf '%s' "$NDLAB"
		return
	fi
	local bin=$LAB_BASE/.bin/ndlab
	if [[ ! -x $bin ]]; then
		need_tools go
		log "building internal/cmd/ndlab into $bin"
		mkdir -p "$LAB_BASE/.bin"
		(cd "$SCRIPTS/.." && CGO_ENABLED=0 go build -o "$bin" ./internal/cmd/ndlab) || die "go build ./internal/cmd/ndlab failed"
	fi
	printf '%s' "$bin"
}

# --- firewall rules -----------------------------------------------------------

# rules_begin: before a fault first adds rules, remembers which nft tables
# the node netns had, so the last heal can remove the ones iptables-nft made.
rules_begin() {
	local base=$STATE_DIR/nft-tables.base
	[[ -f $base ]] || nsx nft list tables >"$base"
}

# rules_end: when no fault uses rules any more, deletes the nft tables that
# were not there before the first one.
rules_end() {
	local base=$STATE_DIR/nft-tables.base t
	[[ -f $base ]] || return 0
	for t in overlay-blocked stale-endpoints no-local-endpoints iptables-mixed-backends conntrack-insert-failed; do
		active "$t" && return 0
	done
	[[ ! -f $(fdir)/dns ]] || return 0
	nsx nft list tables | while read -r _ fam tbl; do
		grep -qx "table $fam $tbl" "$base" || echo "delete table $fam $tbl"
	done | nsx nft -f -
	rm -f "$base"
}

# kube_sync: rewrites kube-proxy's rules in the iptables-nft backend for the
# service sets now active, keeping every other rule.
kube_sync() {
	local -a args=()
	[[ -f $(fdir)/dns ]] && args+=(--dns "$(ledger_get "$(fdir)/dns" ip | sort | paste -sd,)")
	active stale-endpoints && args+=(--stale)
	active no-local-endpoints && args+=(--nolocal)
	active iptables-mixed-backends && args+=(--web "$(pod_field 0 ip)")
	local cur
	cur=$(nsx iptables-nft-save 2>/dev/null)
	if grep -q 'KUBE-' <<<"$cur"; then
		grep -v 'KUBE-' <<<"$cur" | nsx iptables-nft-restore || die "remove kube rules (iptables-nft-restore)"
	fi
	if ((${#args[@]})); then
		"$(ndlab_bin)" kprules "${args[@]}" | nsx iptables-nft-restore --noflush || die "load kube rules (iptables-nft-restore)"
	fi
}

# --- the faults -----------------------------------------------------------------

fault_ip-forward() { save_set "$1" "$NODE_NS_PATH" net/ipv4/ip_forward 0; }
heal_ip-forward() { restore_sysctls "$1"; }

fault_bridge-nf-call-iptables() {
	nsx test -e /proc/sys/net/bridge/bridge-nf-call-iptables ||
		die "this kernel has no br_netfilter (no /proc/sys/net/bridge in the node netns): not injected; lab.sh never runs modprobe"
	save_set "$1" "$NODE_NS_PATH" net/bridge/bridge-nf-call-iptables 0
}
heal_bridge-nf-call-iptables() { restore_sysctls "$1"; }

# wait_oper NETNS-NAME DEV UP|DOWN: until DEV's operational state is that
# (5 s): the kernel reports carrier changes through linkwatch, up to 1 s late.
wait_oper() {
	local i
	for ((i = 0; i < 100; i++)); do
		ip -n "$1" -o link show "$2" | grep -q " state $3 " && return 0
		sleep 0.05
	done
	die "$2 in $1 is not $3 after 5 s"
}

fault_bridge-down() {
	local br
	br=$(state_get .bridge)
	fset "$1" link "$br"
	ip -n "$NODE_NS" link set "$br" down
	wait_oper "$NODE_NS" "$br" DOWN
}
heal_bridge-down() {
	local br
	br=$(fget "$1" link)
	ip -n "$NODE_NS" link set "$br" up
	wait_oper "$NODE_NS" "$br" UP
}

fault_veth-down() {
	local i veth
	i=$(pod_index "${2:-}" 0)
	veth=$(pod_field "$i" hostVeth)
	fset "$1" link "$veth"
	ip -n "$NODE_NS" link set "$veth" down
	wait_oper "$NODE_NS" "$veth" DOWN
}
heal_veth-down() {
	local veth
	veth=$(fget "$1" link)
	ip -n "$NODE_NS" link set "$veth" up
	wait_oper "$NODE_NS" "$veth" UP
}

# node2_up FAULT ADDR PEER-ADDR [LINK]: the second node netns joined by a
# veth LINK (default "uplink", MTU 1500) with ADDR in the node netns and
# PEER-ADDR in node 2. (This kernel may lack dummy devices: veths it is.)
node2_up() {
	local n2 link=${4:-$UPLINK}
	n2=$(node2)
	[[ ! -e /var/run/netns/$n2 ]] || die "$n2 exists: another fault uses it (heal it first)"
	fset "$1" netns "$n2"
	fset "$1" uplink "$link"
	ledger_add "$LEDGER" netns "$n2"
	ip netns add "$n2"
	ip -n "$n2" link set lo up
	ip -n "$NODE_NS" link add "$link" mtu 1500 type veth peer name "$link" netns "$n2" mtu 1500
	ip -n "$NODE_NS" addr add "$2" dev "$link"
	ip -n "$n2" addr add "$3" dev "$link"
	ip -n "$NODE_NS" link set "$link" up
	ip -n "$n2" link set "$link" up
}

node2_down() {
	local n2
	n2=$(fget "$1" netns)
	[[ -z $n2 ]] && return 0
	ip -n "$NODE_NS" link del "$(fget "$1" uplink)" 2>/dev/null || true
	ip netns del "$n2" 2>/dev/null || true
}

fault_mtu-mismatch() {
	local n2
	n2=$(node2)
	node2_up "$1" 198.18.100.1/24 198.18.100.2/24
	ip -n "$NODE_NS" route add default via 198.18.100.2 dev "$UPLINK"
	# flannel's layout: a VXLAN device per node, the other node's pod range
	# routed through it. Its MTU is the uplink's less 50.
	ip -n "$NODE_NS" -batch - <<-EOF
		link add $OVERLAY mtu 1450 type vxlan id 1 local 198.18.100.1 remote 198.18.100.2 dev $UPLINK dstport 8472 nolearning
		addr add 198.18.0.0/32 dev $OVERLAY
		link set $OVERLAY up
		route add 198.18.1.0/24 via 198.18.1.0 dev $OVERLAY onlink
	EOF
	ip -n "$n2" -batch - <<-EOF
		link add $OVERLAY mtu 1450 type vxlan id 1 local 198.18.100.2 remote 198.18.100.1 dev $UPLINK dstport 8472 nolearning
		addr add 198.18.1.0/32 dev $OVERLAY
		link set $OVERLAY up
		route add 198.18.0.0/24 via 198.18.0.0 dev $OVERLAY onlink
		route add default via 198.18.100.1 dev $UPLINK
	EOF
}
heal_mtu-mismatch() {
	ip -n "$NODE_NS" link del "$OVERLAY" 2>/dev/null || true
	node2_down "$1" # the default route goes with the uplink
}

fault_mtu-veth() {
	local i ns
	i=$(pod_index "${2:-}" 0)
	ns=$(pod_field "$i" netnsName)
	fset "$1" mtu "$ns $(ip -n "$ns" -o link show eth0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')"
	ip -n "$ns" link set eth0 mtu 1400
}
heal_mtu-veth() {
	local ns mtu
	read -r ns mtu <<<"$(fget "$1" mtu)"
	ip -n "$ns" link set eth0 mtu "$mtu"
}

fault_conntrack-table() {
	need_tools conntrack awk
	local arg=${2:-95} max count want full=0
	if [[ $arg == full ]]; then
		full=1
		arg=100
	fi
	[[ $arg =~ ^[0-9]+$ ]] && ((arg >= 1 && arg <= 100)) || die "conntrack-table takes a percentage 1..100 or 'full'"
	max=$(sysctl_get "$NODE_NS_PATH" net/netfilter/nf_conntrack_max)
	count=$(sysctl_get "$NODE_NS_PATH" net/netfilter/nf_conntrack_count)
	want=$(((max * arg + 99) / 100 - count))
	((full)) && want=$((max - count + 64))
	((want > 0)) || want=0
	fset "$1" entries "$want"
	log "conntrack-table: inserting $want ASSURED UDP entries (count $count, max $max)"
	local before
	before=$(kmsg_table_full)
	# One line per entry, distinct by source address and port, ASSURED so
	# that early_drop cannot evict them when the table is full.
	awk -v n="$want" -v dp="$CT_DPORT" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "-I -s 198.19.%d.%d -d 198.18.0.1 -p udp --sport %d --dport %d -t 3600 -u ASSURED\n",
				int(i / 256) % 256, i % 256, 1024 + int(i / 65536), dp }' >"$(fdir)/conntrack.load"
	nsx conntrack -R "$(fdir)/conntrack.load" >>"$(fdir)/log" 2>&1 || ((full)) || die "conntrack -R failed (see $(fdir)/log)"
	rm -f "$(fdir)/conntrack.load"
	log "conntrack-table: count now $(sysctl_get "$NODE_NS_PATH" net/netfilter/nf_conntrack_count) of $max"
	if ((full)); then
		local after
		after=$(kmsg_table_full)
		((after > before)) || die "the kernel logged no 'nf_conntrack: table full' (rate-limited? try again later)"
		log "conntrack-table: the kernel logged 'table full' $((after - before)) more time(s)"
	fi
}
heal_conntrack-table() {
	nsx conntrack -D -p udp --orig-dst 198.18.0.1 --orig-port-dst "$CT_DPORT" >/dev/null 2>&1 || true
}

kmsg_table_full() { { dmesg 2>/dev/null || true; } | grep -c 'nf_conntrack: table full' || true; }

fault_conntrack-insert-failed() {
	[[ -f $(fdir)/dns ]] || die "conntrack-insert-failed needs the DNS service: lab.sh dns up --name $NAME"
	rules_begin
	local before now i
	before=$(insert_failed)
	# The A/AAAA race from one socket; kernels since 5.x resolve its clashes
	# (clash_resolve grows, insert_failed does not), so also the same TCP SYN
	# from two CPUs at once, a clash TCP cannot resolve: insert_failed and
	# drop grow.
	local ns cg
	ns=$(pod_field 0 netns)
	cg=$(pod_field 0 cgroup)
	spawn "$1" "$ns" "$cg" "$(ndlab_bin)" dns-race --server "$DNS_VIP:53" --duration 10m --rate 200
	spawn "$1" "$ns" "$cg" "$(ndlab_bin)" syn-race --src "$(pod_field 0 ip)" --dst "$DNS_VIP:53" --duration 10m --rate 200
	for ((i = 0; i < 60; i++)); do
		sleep 0.5
		now=$(insert_failed)
		if ((now > before)); then
			log "conntrack-insert-failed: insert_failed grew by $((now - before)) (racing on in the background)"
			return 0
		fi
	done
	log "conntrack-insert-failed: insert_failed did not grow in 30 s of racing (clash_resolve $(ct_stat clash_resolve))"
	return 1
}
heal_conntrack-insert-failed() { stop_spawned "$1"; }

# ct_stat FIELD: the node netns's conntrack statistic summed over CPUs.
ct_stat() {
	nsx conntrack -S 2>/dev/null | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'
}
insert_failed() { ct_stat insert_failed; }

fault_listen-overflow() {
	local i c ns ip cns
	i=$(pod_index "${2:-}" 1)
	ns=$(pod_field "$i" netns)
	ip=$(pod_field "$i" ip)
	save_set "$1" "$ns" net/core/somaxconn 4
	spawn "$1" "$ns" "$(pod_field "$i" cgroup)" "$(ndlab_bin)" listen --addr "$ip:8080" --backlog 128
	wait_listen "$ns" tcp 8080
	c=$(((i + 1) % $(state_get '.pods | length')))
	cns=$NODE_NS_PATH
	((c == i)) || cns=$(pod_field "$c" netns)
	nsenter --net="$cns" "$(ndlab_bin)" connect --count 12 --timeout 1s "$ip:8080" >>"$(fdir)/log" 2>&1
}
heal_listen-overflow() {
	stop_spawned "$1"
	restore_sysctls "$1"
}

TASKS=run/containerd/io.containerd.runtime.v2.task/k8s.io

fault_stale-container() {
	local i ns root cid uid h id
	i=$(pod_index "${2:-}" 0)
	ns=$(pod_field "$i" netns)
	root=$(state_get .hostRoot)
	# containerd's task state for the lab's containers: what stale/ judges
	# by when no runtime can be asked.
	if [[ ! -d $root/$TASKS ]]; then
		# Remember the first directory made, to remove it all in heal.
		local d=$root
		for d in run run/containerd run/containerd/io.containerd.runtime.v2.task "$TASKS"; do
			[[ -e $root/$d ]] || break
		done
		fset "$1" taskdir "$root/$d"
		for id in $(state_get '.pods[] | .sandboxId, .containerId'); do mkdir -p "$root/$TASKS/$id"; done
	fi
	cid=$(random_hex 32)
	uid=$(pod_field "$i" uid)
	local cg=$CGROUP_REL/kubepods/besteffort/pod$uid/$cid
	fset "$1" cgroup "$cg"
	for h in $(cgroup_hierarchies); do mkdir -p "$h$cg"; done
	spawn "$1" "$ns" "$cg" "$(ndlab_bin)" listen --addr "0.0.0.0:8081" --backlog 16
	wait_listen "$ns" tcp 8081
	log "stale-container: process $SPAWNED of unknown container $cid listens on :8081 in pod $(pod_field "$i" name)"
}
heal_stale-container() {
	stop_spawned "$1"
	local cg h d
	cg=$(fget "$1" cgroup)
	[[ -z $cg ]] || for h in $(cgroup_hierarchies); do rmdir "$h$cg" 2>/dev/null || true; done
	d=$(fget "$1" taskdir)
	[[ -z $d ]] || safe_rm_dir "$d"
}

fault_pod-cidr-overlap() { node2_up "$1" 198.18.128.1/16 198.18.128.2/16; }
heal_pod-cidr-overlap() { node2_down "$1"; }

OVERLAY_RULE=(INPUT -p udp --dport 8472 -m comment --comment "ndlab fault overlay-blocked" -j DROP)
fault_overlay-blocked() {
	nsx ip link show "$OVERLAY" >/dev/null 2>&1 && die "$OVERLAY exists: heal mtu-mismatch first"
	rules_begin
	fset "$1" link "$OVERLAY"
	ip -n "$NODE_NS" link add "$OVERLAY" type vxlan id 1 dstport 8472 nolearning
	ip -n "$NODE_NS" link set "$OVERLAY" up
	nsx iptables-nft -A "${OVERLAY_RULE[@]}"
}
heal_overlay-blocked() {
	nsx iptables-nft -D "${OVERLAY_RULE[@]}" 2>/dev/null || true
	ip -n "$NODE_NS" link del "$(fget "$1" link)" 2>/dev/null || true
}

fault_rp-filter() {
	local i pns
	i=$(pod_index "${2:-}" 0)
	pns=$(pod_field "$i" netnsName)
	save_set "$1" "$NODE_NS_PATH" net/ipv4/conf/all/rp_filter 1
	save_set "$1" "$NODE_NS_PATH" "net/ipv4/conf/$(state_get .bridge)/rp_filter" 1
	fset "$1" podaddr "$pns"
	node2_up "$1" 198.18.50.1/24 198.18.50.2/24 eth1
	ip -n "$pns" addr add 198.18.50.10/32 dev eth0
	# To the node's bridge address, from an address routed via eth1.
	local before n
	before=$(rpf_drops)
	spawn "$1" "$(pod_field "$i" netns)" "$(pod_field "$i" cgroup)" "$(ndlab_bin)" udpsend --src 198.18.50.10 --dst "$(state_get .gateway):7" --rate 50 --duration 10m
	for ((n = 0; n < 100; n++)); do
		(($(rpf_drops) > before)) && return 0
		sleep 0.05
	done
	die "IPReversePathFilter did not grow in 5 s"
}
rpf_drops() { nsx awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else { split($0, v); for (i in k) if (k[i] == "IPReversePathFilter") print v[i] } }' /proc/net/netstat; }
heal_rp-filter() {
	stop_spawned "$1"
	ip -n "$(fget "$1" podaddr)" addr del 198.18.50.10/32 dev eth0 2>/dev/null || true
	node2_down "$1"
	restore_sysctls "$1"
}

fault_stale-endpoints() { rules_begin; kube_sync; }
heal_stale-endpoints() { kube_sync; }

fault_no-local-endpoints() {
	rules_begin
	kube_sync
	# SYNs from outside the cluster CIDR (198.18.0.0/24) to the NodePort take
	# the external path, KUBE-EXT -> KUBE-SVL -> "has no local endpoints".
	local pns
	pns=$(pod_field 0 netnsName)
	fset "$1" podaddr "$pns"
	ip -n "$pns" addr add 198.19.0.99/32 dev eth0
	nsenter --net="$(pod_field 0 netns)" "$(ndlab_bin)" connect --count 3 --timeout 300ms --src 198.19.0.99 "$(state_get .gateway):30808" >>"$(fdir)/log" 2>&1
}
heal_no-local-endpoints() {
	ip -n "$(fget "$1" podaddr)" addr del 198.19.0.99/32 dev eth0 2>/dev/null || true
	kube_sync
}

fault_iptables-mixed-backends() {
	need_tools iptables-legacy-save iptables-legacy-restore
	rules_begin
	nsx iptables-legacy-save >"$(fdir)/legacy.saved"
	kube_sync
	"$(ndlab_bin)" kprules --web "$(pod_field 0 ip)" | nsx iptables-legacy-restore --noflush || die "iptables-legacy-restore failed"
}
heal_iptables-mixed-backends() {
	local saved
	saved=$(fdir)/legacy.saved
	if [[ -s $saved ]]; then
		nsx iptables-legacy-restore <"$saved"
	else
		# Legacy tables, once made, stay registered in the netns: empty them.
		nsx iptables-legacy-save | grep -v 'KUBE-' | nsx iptables-legacy-restore
	fi
	rm -f "$saved"
	kube_sync
}

# dns_start FAULT DELAY: a DNS server in each DNS pod.
dns_start() {
	local i ip
	for i in $(ledger_get "$(fdir)/dns" pod); do
		ip=$(pod_field "$i" ip)
		spawn "$1" "$(pod_field "$i" netns)" "$(pod_field "$i" cgroup)" "$(ndlab_bin)" dns-server --addr "$ip:53" --delay "$2"
		wait_listen "$(pod_field "$i" netns)" udp 53
	done
}

# The dns faults stop the servers `dns up` started and start their own.
fault_dns-down() {
	[[ -f $(fdir)/dns ]] || die "dns-down needs the DNS service: lab.sh dns up --name $NAME"
	injected dns-slow && die "heal dns-slow first"
	stop_spawned dns
}
heal_dns-down() { dns_start dns 0s; }

fault_dns-slow() {
	[[ -f $(fdir)/dns ]] || die "dns-slow needs the DNS service: lab.sh dns up --name $NAME"
	injected dns-down && die "heal dns-down first"
	stop_spawned dns
	dns_start "$1" 1500ms
}
heal_dns-slow() {
	stop_spawned "$1"
	dns_start dns 0s
}

# --- commands -------------------------------------------------------------------

fault_args() {
	(($# >= 1)) || { log "$CMD needs a fault name"; usage; }
	[[ " $FAULT_NAMES " == *" $1 "* ]] || die "unknown fault '$1': one of $FAULT_NAMES"
	need_root
	need_tools jq ip nsenter
	[[ -f $STATE ]] || die "no lab '$NAME' (no $STATE)"
	mkdir -p "$(fdir)"
}

cmd_fault() {
	fault_args "$@"
	(($# <= 2)) || die "fault $1 takes at most one argument"
	injected "$1" && die "fault $1 is already injected: heal it first"
	: >"$(ffile "$1")"
	# A fault that fails part-way is healed.
	trap 'fault_exit $? '"$1" EXIT
	"fault_$1" "$@"
	trap - EXIT
	log "fault $1 injected"
}

fault_exit() {
	(($1 != 0)) || return 0
	trap - EXIT
	log "fault $2 failed; healing what it did"
	do_heal "$2" || true
}

do_heal() {
	HEALING=$1
	"heal_$1" "$1"
	rules_end
	rm -f "$(ffile "$1")"
	HEALING=
}

cmd_heal() {
	fault_args "$@"
	(($# == 1)) || die "heal takes one fault name"
	if ! injected "$1"; then
		log "fault $1 is not injected"
		return 0
	fi
	do_heal "$1"
	log "fault $1 healed"
}

cmd_faults() {
	[[ -d $(fdir) ]] || return 0
	local f
	for f in $FAULT_NAMES; do
		if injected "$f"; then printf '%s\n' "$f"; fi
	done
}

cmd_dns() {
	(($# == 1)) && [[ $1 == up || $1 == down ]] || die "usage: lab.sh dns up|down [--name NAME]"
	need_root
	need_tools jq ip nsenter ss
	[[ -f $STATE ]] || die "no lab '$NAME' (no $STATE)"
	mkdir -p "$(fdir)"
	local f x
	f=$(fdir)/dns
	if [[ $1 == down ]]; then
		[[ -f $f ]] || return 0
		for x in dns-down dns-slow conntrack-insert-failed; do
			injected "$x" && die "heal $x first"
		done
		dns_resolv_off
		stop_spawned dns
		rm -f "$f"
		kube_sync
		rules_end
		log "dns down"
		return 0
	fi
	[[ ! -f $f ]] || die "dns is already up"
	local n i
	n=$(state_get '.pods | length')
	((n >= 2)) || die "dns needs a lab with at least 2 pods (pod 0 is the client)"
	: >"$f"
	trap 'dns_exit $?' EXIT
	for i in 1 2; do
		((i < n)) || break
		ledger_add "$f" pod "$i"
		ledger_add "$f" ip "$(pod_field "$i" ip)"
	done
	rules_begin
	dns_start dns 0s
	kube_sync
	# Every pod's /etc/resolv.conf (written in place: it is bind-mounted).
	for ((i = 0; i < n; i++)); do
		printf 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver %s\noptions ndots:5\n' "$DNS_VIP" >"$STATE_DIR/pods/p$i/resolv.conf"
	done
	trap - EXIT
	log "dns up: kube-system/kube-dns $DNS_VIP:53 -> $(ledger_get "$f" ip | sort | paste -sd' ')"
}

dns_resolv_off() {
	local f
	for f in "$STATE_DIR"/pods/p*/resolv.conf; do
		[[ -f $f ]] && printf '%s\n' "$NO_DNS" >"$f"
	done
	return 0
}

dns_exit() {
	(($1 != 0)) || return 0
	trap - EXIT
	dns_resolv_off
	stop_spawned dns
	rm -f "$(fdir)/dns"
	kube_sync || true
	rules_end || true
}
