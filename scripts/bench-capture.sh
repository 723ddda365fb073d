#!/usr/bin/env bash
# bench-capture.sh: tcpdump -w and netdiag capture -w side by side on the same
# traffic, in one run. Creates two throwaway netns joined by a veth
# (198.18.0.0/24), sends N 64-byte frames with ndgen (AF_PACKET) at RATE pps,
# captures on the receiving end with both tools at once, and prints CPU
# seconds per million packets, peak RSS (VmHWM) and kernel drops.
#
# Usage: sudo scripts/bench-capture.sh [PACKETS] [RATE]   (default 3000000 300000)
# Needs: root, go, tcpdump, ip. Touches nothing outside the two netns it makes.
set -euo pipefail

PACKETS=${1:-3000000}
RATE=${2:-300000}
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

(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/netdiag" . && CGO_ENABLED=0 go build -o "$WORK/ndgen" ./capture/internal/gen/ndgen)

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

ip netns exec "$NSB" tcpdump -i vb -Z root -w "$WORK/tcpdump.pcap" "$FILTER" 2>"$WORK/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
"$WORK/netdiag" --node-netns "/var/run/netns/$NSB" capture -i vb -w "$WORK/netdiag.pcap" \
	--bpf-file "$WORK/filter.ddd" --min-free 0 2>"$WORK/netdiag.err" &
NETDIAG=$!
PIDS+=("$NETDIAG")

for _ in $(seq 50); do
	grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && grep -q "listening on" "$WORK/netdiag.err" 2>/dev/null && break
	sleep 0.1
done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpusplit() { awk '{print "user " $14 " sys " $15}' "/proc/$1/stat"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

CPU0_T=$(cpu "$TCPDUMP")
CPU0_N=$(cpu "$NETDIAG")
GEN=$("$WORK/ndgen" -netns "/var/run/netns/$NSA" -i va -c "$PACKETS" -rate "$RATE" -max 120s)
sleep 2 # let the last blocks retire (1 s block timeout)
CPU1_T=$(cpu "$TCPDUMP")
CPU1_N=$(cpu "$NETDIAG")
SPLIT_T=$(cpusplit "$TCPDUMP")
SPLIT_N=$(cpusplit "$NETDIAG")
HWM_T=$(hwm "$TCPDUMP")
HWM_N=$(hwm "$NETDIAG")
kill -INT "$TCPDUMP" "$NETDIAG"
wait "$TCPDUMP" || true
wait "$NETDIAG" || true
PIDS=()

TCK=$(getconf CLK_TCK)
stat_of() { grep -E "^[0-9]+ packets? $2" "$1" | awk '{print $1}'; }
row() { # name cpu0 cpu1 hwm errfile
	local captured dropped cpus
	captured=$(stat_of "$5" captured)
	dropped=$(stat_of "$5" "dropped by kernel")
	cpus=$(awk -v a="$2" -v b="$3" -v t="$TCK" -v n="$captured" 'BEGIN { if (n > 0) printf "%.3f", (b - a) / t / (n / 1e6); else print "n/a" }')
	printf '| %s | %s | %s | %s | %.1f |\n' "$1" "$captured" "$dropped" "$cpus" "$(awk -v k="$4" 'BEGIN{print k/1024}')"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r), $(nproc) CPUs; $GEN"
echo "| tool | packets captured | dropped by kernel | CPU s / million packets | peak RSS MiB |"
echo "|---|---|---|---|---|"
row "tcpdump $(tcpdump --version 2>&1 | head -1 | awk '{print $3}')" "$CPU0_T" "$CPU1_T" "$HWM_T" "$WORK/tcpdump.err"
row "netdiag capture" "$CPU0_N" "$CPU1_N" "$HWM_N" "$WORK/netdiag.err"
echo
echo "CPU ticks (1/$TCK s) since start: tcpdump $SPLIT_T; netdiag $SPLIT_N"
echo "files: tcpdump $(stat -c %s "$WORK/tcpdump.pcap") bytes, netdiag $(stat -c %s "$WORK/netdiag.pcap") bytes"
