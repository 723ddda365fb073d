#!/usr/bin/env bash
# bench-ab.sh OLD NEW: two netdiag binaries side by side, runs alternating
# (old new, then new old) so that other load on the machine falls on both
# alike; prints wall, CPU (user+sys) and peak RSS medians and their ratio
# new/old. Give the same binary twice (a copy) to see the noise floor.
# Root. A 200-pod lab (scripts/lab.sh) for pods, exec --pod-ip, doctor and
# bundle; a netns of its own holding kube-proxy's rules for 5,000 services
# and 20,000 endpoints (internal/cmd/ndkpgen) for services.
#   ROUNDS (default 4): rounds of doctor, bundle and services, 2 pairs each;
#   LIGHT (default 20): pairs of pods and exec runs.
# Build OLD from an earlier commit in a worktree of its own:
#   git worktree add --detach /tmp/old REV && (cd /tmp/old && CGO_ENABLED=0 go build -o /tmp/netdiag-old .)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 2 ] || { echo "usage: bench-ab.sh OLD NEW" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-ab.sh: run as root" >&2; exit 1; }
OLD=$(realpath "$1") NEW=$(realpath "$2")
LAB=ab$$ SVCNS=ndab$$
WORK=$(mktemp -d /tmp/ndab.XXXXXX)
trap 'scripts/lab.sh down --name "$LAB" >/dev/null 2>&1 || true; ip netns del "$SVCNS" 2>/dev/null || true; rm -rf "$WORK"' EXIT
scripts/lab.sh up --name "$LAB" --pods 200 >/dev/null
ip netns add "$SVCNS"
CGO_ENABLED=0 go run ./internal/cmd/ndkpgen -services 5000 -endpoints 20000 | ip netns exec "$SVCNS" iptables-nft-restore
NODE=(--node-netns "/var/run/netns/ndlab-$LAB" --host-root "/run/netdiag-lab/$LAB/root")
ip=$(jq -r '.pods[150].ip' "/run/netdiag-lab/$LAB/lab.json")
RAW=$WORK/raw

# t WHAT VERSION CMD…: one run; doctor's exit 3 (findings) is not a failure.
t() {
	local what=$1 v=$2
	shift 2
	/usr/bin/time -f "$what $v %e %U %S %M" -a -o "$RAW" "$@" >/dev/null 2>&1 || true
}
bin() { if [ "$1" = old ]; then echo "$OLD"; else echo "$NEW"; fi; }
for ((r = 0; r < ${LIGHT:-20}; r++)); do
	for v in old new new old; do
		t pods "$v" "$(bin $v)" "${NODE[@]}" pods
		t exec "$v" "$(bin $v)" "${NODE[@]}" exec --pod-ip "$ip" -- true
	done
done
for ((r = 0; r < ${ROUNDS:-4}; r++)); do
	for v in old new new old; do
		t doctor "$v" "$(bin $v)" "${NODE[@]}" doctor
		t bundle "$v" "$(bin $v)" "${NODE[@]}" bundle -w "$WORK/b-$v.tar.gz"
		t services "$v" "$(bin $v)" --node-netns "/var/run/netns/$SVCNS" --host-root / -o json services
	done
done
python3 - "$RAW" <<'PY'
import collections, statistics as st, sys
d = collections.defaultdict(lambda: collections.defaultdict(list))
for l in open(sys.argv[1]):
    p = l.split()
    if len(p) == 6 and p[1] in ("old", "new"):
        d[p[0]][p[1]].append((float(p[2]), float(p[3]) + float(p[4]), float(p[5]) / 1024))
for k, v in d.items():
    w = {x: st.median(r[0] for r in v[x]) for x in ("old", "new")}
    c = {x: st.median(r[1] for r in v[x]) for x in ("old", "new")}
    m = {x: st.median(r[2] for r in v[x]) for x in ("old", "new")}
    print(f"{k}: {len(v['old'])}+{len(v['new'])} runs; wall median old {w['old']:.3f} s new {w['new']:.3f} s ({w['new']/w['old']:.2f}x); "
          f"CPU median old {c['old']:.2f} s new {c['new']:.2f} s ({c['new']/max(c['old'],1e-9):.2f}x); "
          f"peak RSS median old {m['old']:.1f} MiB new {m['new']:.1f} MiB ({m['new']/m['old']:.2f}x)")
PY
