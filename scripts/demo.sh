#!/usr/bin/env bash
# demo.sh: netdiag's main job against a simulated node that this script sets
# up and tears down: find the pods, look inside one, capture its traffic, and
# run the doctor. Run as root after `make` (make demo does both).
set -euo pipefail
cd "$(dirname "$0")/.."
ND=${NETDIAG:-./netdiag}
NAME=demo$$
trap 'scripts/lab.sh down --name "$NAME" >/dev/null 2>&1 || true' EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

scripts/lab.sh up --name "$NAME" --pods 3 >/dev/null
NODE=(--node-netns "/var/run/netns/ndlab-$NAME" --host-root "/run/netdiag-lab/$NAME/root")
IP0=$(jq -r '.pods[0].ip' "/run/netdiag-lab/$NAME/lab.json")
IP1=$(jq -r '.pods[1].ip' "/run/netdiag-lab/$NAME/lab.json")

step netdiag pods
"$ND" "${NODE[@]}" pods
step netdiag ip addr --pod-ip "$IP0"
"$ND" "${NODE[@]}" ip addr --pod-ip "$IP0"
step netdiag exec --pod-ip "$IP0" -- ping -c 3 -i 0.2 "$IP1"
( sleep 1; "$ND" "${NODE[@]}" exec --pod-ip "$IP0" -- ping -c 3 -i 0.2 "$IP1" >/dev/null ) &
step netdiag capture --pod-ip "$IP0" -nn -c 6 icmp
"$ND" "${NODE[@]}" capture --pod-ip "$IP0" -nn -c 6 --duration 10s icmp
wait
step netdiag sockets
"$ND" "${NODE[@]}" sockets -l
step netdiag doctor --sample 1s
"$ND" "${NODE[@]}" doctor --sample 1s || [ $? -eq 3 ]
