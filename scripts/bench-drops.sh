#!/usr/bin/env bash
# bench-drops.sh: CPU cost of `netdiag drops` while the kernel drops about
# RATE packets a second (default 100,000) for SECS seconds, side by side
# with perf reading the same tracepoint (perf record -e skb:kfree_skb -a,
# then perf script summarised by reason and function), in alternating runs.
# Root; builds nothing but the generator (make first). Everything happens in
# two network namespaces of its own (198.18.0.0/24); the drops are those of
# an nft rule there.
set -euo pipefail
cd "$(dirname "$0")/.."
ND=${ND:-$PWD/netdiag}
RUNS=${RUNS:-3}
RATE=${RATE:-100000}
SECS=${SECS:-5}
A=ndbd-a$$
B=ndbd-b$$
WORK=$(mktemp -d /tmp/ndbench-drops.XXXXXX)
# perf mounts tracefs on /sys/kernel/tracing when it is not mounted, and
# leaves it there: undo that at the end.
tracefs_before=$(grep -c ' /sys/kernel/tracing ' /proc/self/mountinfo || true)
cleanup() {
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	rm -rf "$WORK"
	if [ "$tracefs_before" = 0 ] && grep -q ' /sys/kernel/tracing ' /proc/self/mountinfo; then
		umount /sys/kernel/tracing
	fi
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench-drops.sh: run as root" >&2; exit 1; }
command -v perf >/dev/null || { echo "bench-drops.sh: needs perf (apt-get install linux-perf)" >&2; exit 1; }
[ -x "$ND" ] || { echo "bench-drops.sh: no $ND: run make first" >&2; exit 1; }

CGO_ENABLED=0 go build -o "$WORK/ndgen" ./capture/internal/gen/ndgen
ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 198.18.0.1/24 dev va
ip -n "$B" addr add 198.18.0.2/24 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up
ip netns exec "$B" nft 'add table inet bench; add chain inet bench in { type filter hook input priority 0; }; add rule inet bench in udp dport 9 drop'
N=$((RATE * SECS))

# burst PID: a second after the reader started, send the frames, then stop
# the reader with SIGINT a second after the last one.
burst() {
	sleep 1
	"$WORK/ndgen" -netns "/var/run/netns/$A" -i va -c "$N" -rate "$RATE" -max "$((SECS * 4))s" >"$WORK/gen" 2>&1
	sleep 1
	kill -INT "$1"
}
cpu() { tail -n 1 "$1" | awk '{printf "%.3f", $1 + $2}'; }
sent() { awk '{print $2}' "$WORK/gen"; }

echo "drops: $N UDP frames at $RATE/s into an nft drop rule; reader CPU = user + system seconds (GNU time)"
for ((i = 1; i <= RUNS; i++)); do
	/usr/bin/time -f '%U %S' -o "$WORK/nd.time" "$ND" -o json drops --duration 0 >"$WORK/nd.json" 2>/dev/null &
	sleep 0.2
	burst "$(pgrep -n -P $! netdiag || echo $!)"
	wait
	nd_count=$(jq '[.drops[] | select(.reason == "NETFILTER_DROP") | .count] | add // 0' "$WORK/nd.json")
	nd_other=$(jq -r '[.drops[] | select(.reason != "NETFILTER_DROP")][:3] | map("\(.reason) \(.count)") | join(", ")' "$WORK/nd.json")
	echo "run $i netdiag drops: cpu $(cpu "$WORK/nd.time") s; NETFILTER_DROP $nd_count of $(sent) sent, lost $(jq .lost "$WORK/nd.json"); others: $nd_other; $(cat "$WORK/gen")"

	/usr/bin/time -f '%U %S' -o "$WORK/perf.time" perf record -q -e skb:kfree_skb -a -o "$WORK/perf.data" >/dev/null 2>"$WORK/perf.err" &
	sleep 0.2
	burst "$(pgrep -n -P $! perf || echo $!)"
	wait
	# What drops prints, from perf's file: counts by reason and function.
	/usr/bin/time -f '%U %S' -o "$WORK/script.time" sh -c "perf script -i '$WORK/perf.data' -F trace 2>/dev/null |
		sed -n 's/.*location=\([^+ ]*\).*reason: \(.*\)/\2 \1/p' | sort | uniq -c | sort -rn >'$WORK/perf.sum'"
	perf_count=$(awk '$2 == "NETFILTER_DROP" { n += $1 } END { print n + 0 }' "$WORK/perf.sum")
	lost=$(perf report -i "$WORK/perf.data" --stats 2>/dev/null | awk '$1 == "LOST" { print $3; exit }')
	echo "run $i perf record: cpu $(cpu "$WORK/perf.time") s, then perf script summary $(cpu "$WORK/script.time") s; NETFILTER_DROP $perf_count of $(sent) sent, lost records ${lost:-0}; $(cat "$WORK/gen")"
	rm -f "$WORK/perf.data"
done
