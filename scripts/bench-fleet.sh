#!/usr/bin/env bash
# bench-fleet.sh [RUNS]: time `kubectl netdiag doctor --all-nodes` on the
# running lab of scripts/k8snode.sh (default directory), from the start of
# the command to the merged report, and the time each node spent copying
# the node binary (kubectl-netdiag -v says it). Needs `make plugin` first.
# Prints one line per run, then min and median.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${1:-5}
KC=$("$REPO/scripts/k8snode.sh" status | jq -r .kubeconfig)
totals=() copies=()
for ((i = 1; i <= RUNS; i++)); do
	err=$(mktemp)
	start=$(date +%s%N)
	"$REPO/scripts/k8snode.sh" exec 1 -- "$REPO/kubectl-netdiag" --kubeconfig "$KC" -n default -v \
		doctor --all-nodes -o json >/dev/null 2>"$err" || true
	end=$(date +%s%N)
	total=$(((end - start) / 1000000))
	# The nodes copy in parallel: the longest copy is what the run waits for.
	copy=$(grep -o 'binary copied in [0-9.]*m\?s' "$err" | awk '{v=$4; if (v ~ /ms$/) {sub("ms","",v); v=v/1000} else sub("s","",v); if (v>m) m=v} END {printf "%d", m*1000}')
	rm -f "$err"
	echo "run $i: total ${total} ms, binary copy (longest node) ${copy} ms ($((100 * copy / total))%)"
	totals+=("$total") copies+=("$copy")
	# Let the previous session's pods go first.
	while "$REPO/scripts/k8snode.sh" kubectl get pods -A -l app.kubernetes.io/managed-by=kubectl-netdiag -o name | grep -q .; do sleep 1; done
done
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "min %d ms, median %d ms", a[1], a[int((NR+1)/2)]}'; }
echo "total: $(stats "${totals[@]}"); copy: $(stats "${copies[@]}")"
