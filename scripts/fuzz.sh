#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target for FUZZTIME each (default 30s), among
# them capture/decode's FuzzSavefile (the whole printer and analyze over
# mutated savefiles of every link type). A new input is minimized for at
# most FUZZMINIMIZE (default 5s): whole savefiles take long to minimize, and
# the time is better spent fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-30s}
m=${FUZZMINIMIZE:-5s}
grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r pkg; do
	for f in $(grep -h '^func Fuzz' "$pkg"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		echo "== $pkg $f"
		CGO_ENABLED=0 go test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime "$m"
	done
done
