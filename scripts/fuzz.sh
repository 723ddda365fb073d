#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target for FUZZTIME each (default 30s), among
# them capture/decode's FuzzSavefile (the whole printer and analyze over
# mutated savefiles of every link type). A new input is minimized for at
# most FUZZMINIMIZE (default 5s): whole savefiles take long to minimize, and
# the time is better spent fuzzing. A target fails only when Go wrote a
# failing input to its testdata/fuzz: go 1.26's fuzzer can end a clean run
# with "context deadline exceeded" and nothing written, which is not a
# finding.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-30s}
m=${FUZZMINIMIZE:-5s}
inputs() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r pkg; do
	for f in $(grep -h '^func Fuzz' "$pkg"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		echo "== $pkg $f"
		before=$(inputs "$pkg/testdata/fuzz/$f")
		if ! CGO_ENABLED=0 go test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime "$m" 2>&1 | tee "$log"; then
			after=$(inputs "$pkg/testdata/fuzz/$f")
			if [ "$after" = "$before" ] && grep -q 'context deadline exceeded' "$log"; then
				echo "fuzz.sh: $f ended with the fuzzer's deadline error and wrote no input: not a finding"
				continue
			fi
			exit 1
		fi
	done
done
