# shellcheck shell=bash
# Shared helpers for scripts/lab.sh and scripts/realnode.sh. Sourced, never run.
#
# Every resource a script creates is first written to a ledger (one "KIND VALUE"
# line per resource) so that `down` can undo a partial `up`, and undo it again
# without harm.

log() { printf '%s: %s\n' "${PROG:-netdiag-lab}" "$*" >&2; }
die() { log "$*"; exit 1; }

need_root() {
	[[ $(id -u) -eq 0 ]] || die "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN): run with sudo"
}

need_tools() {
	local t missing=()
	for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
	((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (install them first)"
}

# valid_name NAME: short, safe for netns, cgroup and file names.
valid_name() {
	[[ $1 =~ ^[a-z0-9][a-z0-9-]{0,23}$ ]] || die "bad name '$1': use 1-24 of [a-z0-9-]"
}

# ledger_add FILE KIND VALUE: remember a resource before creating it.
ledger_add() { printf '%s %s\n' "$2" "$3" >>"$1"; }

# ledger_get FILE KIND: the values recorded for KIND, newest first.
ledger_get() {
	[[ -f $1 ]] || return 0
	awk -v k="$2" '$1 == k { sub(/^[^ ]+ /, ""); print }' "$1" | tac
}

# random_hex N: N random bytes as 2N lower-case hex digits.
random_hex() { od -An -vtx1 -N "$1" /dev/urandom | tr -d ' \n'; }

# safe_rm_dir DIR: removes DIR, refusing obviously wrong paths and never
# crossing into another mounted filesystem.
safe_rm_dir() {
	local d=$1
	[[ $d == /* && $d != / && $d != *..* ]] || die "refusing to remove '$d'"
	[[ -e $d ]] || return 0
	rm -rf --one-file-system -- "$d"
}

# pid_alive PID
pid_alive() { [[ -n $1 && -d /proc/$1 ]]; }

# kill_pids SIGNAL-WAIT PID...: SIGTERM, wait up to ~3 s, then SIGKILL. Only for
# PIDs the caller has already proved it started.
kill_pids() {
	local p i left
	(($# > 0)) || return 0
	kill -TERM "$@" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		left=0
		for p in "$@"; do
			if pid_alive "$p" && [[ $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) != Z ]]; then left=1; fi
		done
		((left)) || return 0
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null || true
}

# cgroup_hierarchies: the mount point of every cgroup hierarchy the calling
# process belongs to (v1 controllers and the v2 unified tree), skipping cpuset
# (a new v1 cpuset cgroup is unusable until cpus/mems are set). Test cgroups go
# under each root, like kubelet's, not under the caller's own cgroup.
cgroup_hierarchies() {
	local line id ctrls mnt
	while IFS= read -r line; do
		id=${line%%:*}; line=${line#*:}
		ctrls=${line%%:*}
		if [[ $id == 0 && -z $ctrls ]]; then
			mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
		else
			[[ ,$ctrls, == *,cpuset,* ]] && continue
			mnt=$(awk -v c="$ctrls" '$3 == "cgroup" {
				n = split($4, o, ","); m = split(c, want, ","); ok = 1
				for (w = 1; w <= m; w++) { f = 0; for (i = 1; i <= n; i++) if (o[i] == want[w]) f = 1; if (!f) ok = 0 }
				if (ok) { print $2; exit } }' /proc/self/mounts)
		fi
		[[ -n $mnt && -d $mnt ]] || continue
		printf '%s\n' "$mnt"
	done </proc/self/cgroup
}

# rmdir_tree DIR: removes an empty cgroup tree bottom-up (cgroup dirs cannot
# be removed with rm -r).
rmdir_tree() {
	[[ -d $1 ]] || return 0
	find "$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
	[[ ! -d $1 ]]
}

# cgroup_pids DIR: every PID in a cgroup tree.
cgroup_pids() {
	[[ -d $1 ]] || return 0
	find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
}
