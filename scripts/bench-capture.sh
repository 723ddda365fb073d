#!/usr/bin/env bash
# bench-capture.sh: tcpdump -w and netdiag capture -w side by side on the same
# traffic, RUNS times. Creates two throwaway netns joined by a veth
# (198.18.0.0/24), sends N 64-byte frames with ndgen (AF_PACKET) at RATE pps
# (0: as fast as one sender can), captures on the receiving end with both
# tools at once, and prints per run and then min/median per tool: CPU seconds
# per million packets, peak RSS (VmHWM) and kernel drops, and the ratio
# netdiag/tcpdump. NDARGS adds netdiag capture flags (e.g. "--attribute
# --pcapng"). A run where netdiag's median CPU is above 0.8× tcpdump's, or its
# RSS above 1.5×, says so on the last line (issue 16's targets).
#
# Usage: sudo [RUNS=5] [NDARGS=...] scripts/bench-capture.sh [PACKETS] [RATE]   (default 3000000 300000)
# Needs: root, go, tcpdump, ip. Touches nothing outside the two netns it makes.
set -euo pipefail

PACKETS=${1:-3000000}
RATE=${2:-300000}
RUNS=${RUNS:-5}
NDARGS=${NDARGS:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/bench-capture.XXXXXX)
NSA=ndbencha$$
NSB=ndbenchb$$
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench-capture.sh: run as root" >&2; exit 1; }
command -v tcpdump >/dev/null || { echo "bench-capture.sh: needs tcpdump" >&2; exit 1; }

(cd "$ROOT" && make -s netdiag OUT="$WORK/netdiag.built" && CGO_ENABLED=0 go build -o "$WORK/ndgen" ./capture/internal/gen/ndgen)

ip netns add "$NSA"
ip netns add "$NSB"
ip -n "$NSA" link add va type veth peer name vb netns "$NSB"
ip -n "$NSA" addr add 198.18.0.1/24 dev va
ip -n "$NSB" addr add 198.18.0.2/24 dev vb
ip -n "$NSA" link set va up
ip -n "$NSB" link set vb up
ip -n "$NSA" link set lo up
ip -n "$NSB" link set lo up

# Both capture the generator's frames only: the same filter for both tools.
FILTER="udp dst port 9"
ip netns exec "$NSB" tcpdump -ddd -i vb "$FILTER" >"$WORK/filter.ddd"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
stat_of() { grep -E "^[0-9]+ packets? $2" "$1" | awk '{print $1}'; }
TCK=$(getconf CLK_TCK)
per_million() { awk -v a="$1" -v b="$2" -v t="$TCK" -v n="$3" 'BEGIN { if (n > 0) printf "%.3f", (b - a) / t / (n / 1e6); else print "n/a" }'; }

# one_run prints: tcpdump-cpu netdiag-cpu tcpdump-rss-MiB netdiag-rss-MiB tcpdump-drops netdiag-drops
one_run() {
	rm -f "$WORK"/*.pcap* "$WORK"/*.err
	ip netns exec "$NSB" tcpdump -i vb -Z root -w "$WORK/tcpdump.pcap" "$FILTER" 2>"$WORK/tcpdump.err" &
	local td=$!
	# A fresh copy each run, as an operator's scp leaves it: the peak RSS
	# counts the binary's pages, and how the kernel maps them depends on
	# how the file came into the page cache (a copy is the costlier case).
	cp "$WORK/netdiag.built" "$WORK/netdiag"
	# shellcheck disable=SC2086
	"$WORK/netdiag" --node-netns "/var/run/netns/$NSB" capture -i vb -w "$WORK/netdiag.pcap" $NDARGS \
		--bpf-file "$WORK/filter.ddd" --min-free 0 2>"$WORK/netdiag.err" &
	local nd=$!
	PIDS=("$td" "$nd")
	for _ in $(seq 50); do
		grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && grep -q "listening on" "$WORK/netdiag.err" 2>/dev/null && break
		sleep 0.1
	done
	local t0 n0 t1 n1 th nh
	t0=$(cpu "$td")
	n0=$(cpu "$nd")
	GEN=$("$WORK/ndgen" -netns "/var/run/netns/$NSA" -i va -c "$PACKETS" -rate "$RATE" -max 120s)
	sleep 2 # let the last blocks retire (1 s block timeout)
	t1=$(cpu "$td")
	n1=$(cpu "$nd")
	th=$(hwm "$td")
	nh=$(hwm "$nd")
	kill -INT "$td" "$nd"
	wait "$td" || true
	wait "$nd" || true
	PIDS=()
	echo "$(per_million "$t0" "$t1" "$(stat_of "$WORK/tcpdump.err" captured)") $(per_million "$n0" "$n1" "$(stat_of "$WORK/netdiag.err" captured)")" \
		"$(awk -v k="$th" 'BEGIN{printf "%.1f", k/1024}') $(awk -v k="$nh" 'BEGIN{printf "%.1f", k/1024}')" \
		"$(stat_of "$WORK/tcpdump.err" "dropped by kernel") $(stat_of "$WORK/netdiag.err" "dropped by kernel")"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r), $(nproc) CPUs; $PACKETS frames at ${RATE} pps (0: full rate), $RUNS runs; netdiag capture $NDARGS"
echo "| run | tcpdump CPU s/M | netdiag CPU s/M | ratio | tcpdump RSS MiB | netdiag RSS MiB | drops tcpdump/netdiag |"
echo "|---|---|---|---|---|---|---|"
: >"$WORK/runs"
for i in $(seq "$RUNS"); do
	one_run >"$WORK/run"
	read -r tc nc tr nr tdr ndr <"$WORK/run"
	echo "$tc $nc $tr $nr" >>"$WORK/runs"
	echo "| $i | $tc | $nc | $(awk -v a="$nc" -v b="$tc" 'BEGIN{printf "%.2f", a/b}') | $tr | $nr | $tdr/$ndr |"
done
echo "sender: $GEN"
# min and median of column c
stat() { sort -n -k"$1" "$WORK/runs" | awk -v c="$1" '{v[NR]=$c} END {printf "%s %s\n", v[1], v[int((NR+1)/2)]}'; }
read -r tmin tmed < <(stat 1)
read -r nmin nmed < <(stat 2)
read -r trmin trmed < <(stat 3)
read -r nrmin nrmed < <(stat 4)
echo "min/median: tcpdump CPU $tmin/$tmed, netdiag CPU $nmin/$nmed s per million packets; RSS tcpdump $trmin/$trmed, netdiag $nrmin/$nrmed MiB"
awk -v n="$nmed" -v t="$tmed" -v nr="$nrmed" -v tr="$trmed" 'BEGIN {
	printf "median ratio: CPU %.2fx (target <= 0.8x: %s), RSS %.2fx (target <= 1.5x: %s)\n", n/t, (n/t <= 0.8 ? "met" : "NOT MET"), nr/tr, (nr/tr <= 1.5 ? "met" : "NOT MET") }'
