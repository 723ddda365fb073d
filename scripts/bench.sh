#!/usr/bin/env bash
# bench.sh: every benchmark of BENCHMARKS.md, each side by side with its
# reference tool in the same run. Root; builds ./netdiag first (make bench).
# Sections can be picked: scripts/bench.sh startup pods capture read …
set -euo pipefail
cd "$(dirname "$0")/.."
ND=$PWD/netdiag
WORK=$(mktemp -d /tmp/ndbench.XXXXXX)
LAB=bench$$
trap 'scripts/lab.sh down --name "$LAB" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
[ "$(id -u)" = 0 ] || { echo "bench.sh: run as root" >&2; exit 1; }

# ms CMD…: mean wall milliseconds of N runs of CMD (N from $RUNS, default 20).
ms() {
	local n=${RUNS:-20} start end
	start=$(date +%s%N)
	for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 || true; done
	end=$(date +%s%N)
	echo "scale=2; ($end - $start) / $n / 1000000" | bc
}

lab200() {
	[ -e "/run/netdiag-lab/$LAB/lab.json" ] || scripts/lab.sh up --name "$LAB" --pods 200 >/dev/null
	NODE=(--node-netns "/var/run/netns/ndlab-$LAB" --host-root "/run/netdiag-lab/$LAB/root")
}

section() { printf '\n## %s\n' "$*"; }

bench_startup() {
	section "binary size and start-up"
	echo "netdiag binary: $(stat -c %s "$ND") bytes (target < 25 MB)"
	echo "netdiag version: $(RUNS=200 ms "$ND" version) ms per run; tcpdump --version: $(RUNS=200 ms tcpdump --version) ms per run"
}

bench_pods() {
	section "--pod-ip resolution, 200 simulated pods"
	lab200
	ip=$(jq -r '.pods[150].ip' "/run/netdiag-lab/$LAB/lab.json")
	# pods has no pod selection: it lists all 200; exec --pod-ip resolves one.
	echo "netdiag pods (all 200): $(ms "$ND" "${NODE[@]}" pods) ms per run"
	echo "netdiag exec --pod-ip $ip -- true: $(ms "$ND" "${NODE[@]}" exec --pod-ip "$ip" -- true) ms (target < 50 ms); ip netns exec … true: $(ms ip netns exec "ndlab-$LAB-p150" true) ms"
	CGO_ENABLED=0 go test ./node/ -run '^$' -bench ResolvePodIP -benchtime 20x 2>/dev/null | grep -E '^Benchmark' || true
}

bench_doctor() {
	section "doctor, 200 simulated pods (includes the 2 s sample)"
	lab200
	s=$(date +%s%N); "$ND" "${NODE[@]}" doctor >/dev/null 2>&1 || true; e=$(date +%s%N)
	echo "netdiag doctor: $(( (e - s) / 1000000 )) ms (target < 5000 ms)"
}

bench_stale() {
	section "stale-container scan, 200 simulated pods"
	lab200
	echo "netdiag stale-container scan: $(RUNS=5 ms "$ND" "${NODE[@]}" stale-container scan) ms per run (target < 1000 ms)"
	CGO_ENABLED=0 go test ./stale/ -run '^$' -bench . -benchtime 3x 2>/dev/null | grep -E '^Benchmark' || true
}

bench_filter() {
	section "filter compile time and program length"
	CGO_ENABLED=0 go test ./capture/filter/ -run '^$' -bench '^BenchmarkCompile$' -benchtime 3000x | grep -E '^Benchmark'
	CGO_ENABLED=0 go test ./capture/filter/ -run '^$' -bench 'Compile(OrHosts|OrPorts|Nested)' -benchtime 5x | grep -E '^Benchmark'
	CGO_ENABLED=0 go test ./capture/filter/ -run Differential -v -count=1 | grep -iE 'length|median|p90|longer' || true
	section "netdiag filter -d against tcpdump -d on long expressions (issue 18)"
	ND=$ND scripts/bench-filter.sh
}

bench_capture() {
	section "live capture against tcpdump: 2,000,000 64-byte frames at the sender's full rate, then 3,000,000 at 300 kpps; 5 runs each"
	RUNS=5 scripts/bench-capture.sh 2000000 0
	RUNS=5 scripts/bench-capture.sh 3000000 300000
}

bench_read() {
	section "reading a 1,000,000-packet capture against tcpdump -r"
	go run ./internal/cmd/ndpcapgen -n 1000000 -o "$WORK/big.pcap" capture/decode/testdata/lab-ether.pcap
	for args in "-nn" "-nn -v" "-nn tcp"; do
		# shellcheck disable=SC2086
		t1=$(RUNS=3 ms tcpdump -r "$WORK/big.pcap" $args)
		# shellcheck disable=SC2086
		t2=$(RUNS=3 ms "$ND" capture -r "$WORK/big.pcap" $args)
		echo "-r $args to text: tcpdump $t1 ms, netdiag $t2 ms"
	done
	t1=$(RUNS=3 ms tcpdump -r "$WORK/big.pcap" -w "$WORK/t.pcap" tcp port 8080)
	t2=$(RUNS=3 ms "$ND" capture -r "$WORK/big.pcap" -w "$WORK/n.pcap" tcp port 8080)
	echo "-r with filter 'tcp port 8080' to a file: tcpdump $t1 ms, netdiag $t2 ms ($(stat -c %s "$WORK/t.pcap") vs $(stat -c %s "$WORK/n.pcap") bytes)"
}

bench_conntrack() {
	section "conntrack list, 200,000 entries, against conntrack -L"
	NETDIAG_BENCH_BIN=$ND CGO_ENABLED=0 go test -run TestConntrackListBench -v -timeout 10m ./conntrack/ | grep -vE '^(=== RUN|--- PASS|PASS|ok)' || true
}

bench_services() {
	section "services over 5,000 services and 20,000 endpoints (iptables)"
	CGO_ENABLED=0 go test ./kubeproxy/ -run '^$' -bench ServicesIPTables -benchtime 10x | grep -E '^Benchmark'
	# End to end on a netns of its own holding those rules, side by side with
	# iptables-nft-save -c alone and the netlink reader alone.
	NETDIAG_BENCH_BIN=$ND CGO_ENABLED=0 go test ./iptables/ -run '^$' -bench IPTablesNFTRead -benchtime 10x | grep -E '^Benchmark'
	section "services over 5,000 services and 20,000 endpoints (nftables)"
	NETDIAG_BENCH_BIN=$ND CGO_ENABLED=0 go test ./nftables/ -run '^$' -bench NFTDumpKubeProxy -benchtime 5x | grep -E '^Benchmark'
}

bench_memory() {
	section "memory on hostile capture files (issue 18): peak RSS and time, alternating runs"
	[ -x /usr/bin/time ] || { echo "memory: needs GNU time (/usr/bin/time)"; return; }
	go run ./capture/internal/ndhostile -idb 1000000 -o "$WORK/idb1m.pcapng"
	go run ./capture/internal/ndhostile -idb 3000000 -o "$WORK/idb3m.pcapng"
	go run ./capture/internal/ndhostile -syn 500000 -o "$WORK/syn.pcap"
	rss() { /usr/bin/time -f '%e s %M KiB' -o "$WORK/rss" "$@" >/dev/null 2>&1 || true; cat "$WORK/rss" | tail -1; }
	for f in idb1m.pcapng idb3m.pcapng; do
		for i in 1 2 3; do
			echo "$f run $i: tcpdump -r: $(rss tcpdump -nn -r "$WORK/$f"); netdiag capture -r: $(rss "$ND" capture -nn -r "$WORK/$f")"
		done
	done
	for i in 1 2 3; do
		echo "syn.pcap run $i: tshark -q -z conv,tcp: $(rss tshark -n -q -z conv,tcp -r "$WORK/syn.pcap"); netdiag analyze: $(rss "$ND" analyze "$WORK/syn.pcap")"
	done
	CGO_ENABLED=0 go test ./capture/pcapio/ -run '^$' -bench ReadInterfaces -benchtime 3x | grep -E '^Benchmark'
	CGO_ENABLED=0 go test ./analyze/ -run '^$' -bench AnalyzeSYNFlood -benchtime 2x | grep -E '^Benchmark'
}

all=(startup pods doctor stale filter capture read conntrack services memory)
for s in "${@:-${all[@]}}"; do "bench_$s"; done
