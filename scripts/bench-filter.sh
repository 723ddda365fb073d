#!/usr/bin/env bash
# bench-filter.sh: `netdiag filter -d` against `tcpdump -d` on the same long
# expressions (issue 18), in alternating runs: wall time (min and median) and
# peak RSS (GNU time's %M, the largest of the runs) of each, and the length
# of each program. Needs ./netdiag (make), tcpdump and GNU time.
#   scripts/bench-filter.sh            # every expression, FILTER_RUNS runs each (default 5)
#   FILTER_RUNS=3 scripts/bench-filter.sh hosts1000 ports300
set -euo pipefail
cd "$(dirname "$0")/.."
ND=${ND:-$PWD/netdiag}
FILTER_RUNS=${FILTER_RUNS:-5}
WORK=$(mktemp -d /tmp/ndbench-filter.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
[ -x "$ND" ] || { echo "bench-filter.sh: build $ND first (make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-filter.sh: needs GNU time (/usr/bin/time)" >&2; exit 1; }

# The expressions: N host or port terms joined by `or`, or one host test in
# N pairs of parentheses. Hosts are in 198.18.0.0/15.
hosts() { awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "%shost 198.%d.%d.%d", (i > 1 ? " or " : ""), 18 + int(i / 65536), int(i / 256) % 256, i % 256 }'; }
ports() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%sport %d", (i > 0 ? " or " : ""), 1000 + i }'; }
nested() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "("; printf "host 198.18.0.1"; for (i = 0; i < n; i++) printf ")" }'; }

# run NAME CMD…: one timed run; appends "seconds rss_kib status insns" to
# $WORK/NAME.
run() {
	local name=$1 start end status=0
	shift
	start=$(date +%s%N)
	/usr/bin/time -f %M -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err" || status=$?
	end=$(date +%s%N)
	echo "$(echo "scale=3; ($end - $start) / 1000000000" | bc) $(tail -1 "$WORK/rss") $status $(wc -l <"$WORK/out")" >>"$WORK/$name"
	[ "$status" = 0 ] || grep -v -e '^Command exited' -e '^Warning: assuming' "$WORK/err" | tail -1 >"$WORK/$name.err" || true
}

# stats NAME: "min median seconds, peak RSS, program length" of NAME's runs.
stats() {
	local f=$WORK/$1
	if awk '$3 != 0 { bad = 1 } END { exit !bad }' "$f"; then
		echo "error ($(cat "$f.err" 2>/dev/null)), $(sort -n -k2 "$f" | tail -1 | awk '{ printf "%.1f MiB", $2 / 1024 }')"
		return
	fi
	sort -n -k1 "$f" | awk '{ t[NR] = $1; if ($2 > rss) rss = $2; n = $4 }
		END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			printf "%d insns, %.3f / %.3f s, %.1f MiB", n, t[1], m, rss / 1024 }'
}

# median NAME: median seconds of NAME's runs.
median() { sort -n -k1 "$WORK/$1" | awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'; }
peak() { sort -n -k2 "$WORK/$1" | tail -1 | awk '{ print $2 }'; }

bench() {
	local name=$1 expr=$2 i
	rm -f "$WORK/$name.nd" "$WORK/$name.td"
	for ((i = 0; i < FILTER_RUNS; i++)); do
		# Alternate which tool goes first, so neither always runs on a
		# warmer or a busier machine.
		if ((i % 2)); then
			run "$name.nd" "$ND" filter -d "$expr"
			run "$name.td" tcpdump -d "$expr"
		else
			run "$name.td" tcpdump -d "$expr"
			run "$name.nd" "$ND" filter -d "$expr"
		fi
	done
	printf '%s (%d bytes, %d runs each, time min / median):\n' "$name" "${#expr}" "$FILTER_RUNS"
	printf '  netdiag filter -d: %s\n' "$(stats "$name.nd")"
	printf '  tcpdump -d:        %s\n' "$(stats "$name.td")"
	awk -v t1="$(median "$name.nd")" -v t2="$(median "$name.td")" -v r1="$(peak "$name.nd")" -v r2="$(peak "$name.td")" \
		'BEGIN { printf "  netdiag/tcpdump:   time %.3g×, peak RSS %.3g× (medians; largest RSS)\n", t1 / t2, r1 / r2 }'
}

declare -A exprs=(
	[hosts500]="$(hosts 500)" [hosts1000]="$(hosts 1000)" [ports300]="$(ports 300)"
	[nested9990]="$(nested 9990)" [nested60000]="$(nested 60000)"
)
order=(hosts500 hosts1000 ports300 nested9990 nested60000)
echo "$(tcpdump --version 2>&1 | head -2 | tr '\n' ' ')/ $("$ND" version 2>/dev/null | head -1)"
for name in "${@:-${order[@]}}"; do
	[ -n "${exprs[$name]:-}" ] || { echo "bench-filter.sh: unknown expression set $name (${order[*]})" >&2; exit 2; }
	bench "$name" "${exprs[$name]}"
done
