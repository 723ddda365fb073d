#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target for FUZZTIME each (default 30s).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-30s}
grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r pkg; do
	for f in $(grep -h '^func Fuzz' "$pkg"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		echo "== $pkg $f"
		CGO_ENABLED=0 go test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$t"
	done
done
