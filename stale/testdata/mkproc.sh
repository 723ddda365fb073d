#!/usr/bin/env bash
# mkproc.sh: writes the fake /proc tree in testdata/proc that the fixture
# tests of package stale read. The cgroup lines follow the formats in
# /work/shared/NODE-FACTS.md (systemd driver: cri-containerd-, crio-,
# docker- scopes; cgroupfs driver as observed on the real containerd node).
# Run from testdata/: ./mkproc.sh
set -euo pipefail
cd "$(dirname "$0")"
rm -rf proc host
mkdir proc host
printf 'cpu  1 2 3 4\nbtime 1790000000\nprocesses 1000\n' >proc/stat

rep() { local s=; for ((i = 0; i < $2; i++)); do s+=$1; done; printf '%s' "$s"; }
# proc PID PPID COMM START NETNS CMDLINE CGROUP-LINES...
proc() {
	local pid=$1 ppid=$2 comm=$3 start=$4 ns=$5 cmd=$6
	shift 6
	mkdir -p "proc/$pid/ns"
	ln -s "net:[$ns]" "proc/$pid/ns/net"
	printf '%s (%s) S %s %s %s 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 %s 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n' \
		"$pid" "$comm" "$ppid" "$pid" "$pid" "$start" >"proc/$pid/stat"
	printf '%s\0' $cmd >"proc/$pid/cmdline"
	printf '%s\n' "$@" >"proc/$pid/cgroup"
}

UA=11111111-1111-4111-8111-111111111111; UA_=${UA//-/_}
UB=22222222-2222-4222-8222-222222222222; UB_=${UB//-/_}
UC=33333333-3333-4333-8333-333333333333; UC_=${UC//-/_}
UD=44444444-4444-4444-8444-444444444444; UD_=${UD//-/_}
UF=66666666-6666-4666-8666-666666666666; UF_=${UF//-/_}
SA=$(rep a0 32); CA=$(rep c1 32); GONE=$(rep dead 16)
SB=$(rep b0 32); CB=$(rep c2 32)
SC=$(rep c0 32); CC=$(rep c3 32)
CD=$(rep d4 32); CF=$(rep f6 32)

# Pod A: containerd, systemd driver, cgroup v2. 103 is left from a removed container.
A=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$UA_.slice
proc 101 90 pause 1000 4026532001 "/pause" "0::$A/cri-containerd-$SA.scope"
proc 102 91 nginx 1100 4026532001 "nginx -g daemon off;" "0::$A/cri-containerd-$CA.scope"
proc 103 1 httpd 1050 4026532001 "httpd -f -p 8080" "0::$A/cri-containerd-$GONE.scope"
# In pod A's netns, in no container: an admin's shell (not listening).
proc 104 50 sh 1200 4026532001 "sh" "0::/user.slice/user-0.slice/session-1.scope"

# Pod B: CRI-O, systemd driver, burstable; container CB exited, 202 remains.
B=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$UB_.slice
proc 201 80 pause 2000 4026532002 "/pause" "0::$B/crio-$SB.scope"
proc 202 1 worker 2100 4026532002 "python3 worker.py" "0::$B/crio-$CB.scope"
proc 203 1 conmon 2050 4026531840 "/usr/bin/conmon -c $CB" "0::$B/crio-conmon-$CB.scope"

# Pod C: Docker (cri-dockerd), systemd driver, cgroup v1: sandbox stopped,
# its pause process still runs.
C=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$UC_.slice
proc 301 70 pause 3000 4026532003 "/pause" \
	"12:pids:$C/docker-$SC.scope" "11:memory:$C/docker-$SC.scope" "1:name=systemd:$C/docker-$SC.scope" "0::/"
proc 302 71 app 3100 4026532003 "/app" \
	"12:pids:$C/docker-$CC.scope" "11:memory:$C/docker-$CC.scope" "1:name=systemd:$C/docker-$CC.scope" "0::/"

# Pod D: the runtime lists no sandbox; its process remains in its own netns.
D=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$UD_.slice
proc 401 1 redis-server 4000 4026532004 "redis-server *:6379" "0::$D/cri-containerd-$CD.scope"

# Pod F: another node's pod on the same host (kind): not this node's.
F=/kind-worker2/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$UF_.slice
proc 601 1 sleep 6000 4026532006 "sleep 3600" "0::$F/cri-containerd-$CF.scope"

# Not in any pod.
proc 1 0 init 1 4026531840 "/sbin/init" "0::/init.scope"

# Kubelet's log directory names pod D.
mkdir -p host/var/log/pods/default_redis-0_$UD/redis
echo '2026-11-22T00:00:00.000000000Z stdout F ready' >host/var/log/pods/default_redis-0_$UD/redis/0.log
# containerd's task state for the no-runtime test: every container of pods
# A and D but the one that is gone (as after a shim crash).
# (Files in each, so that git keeps the directories.)
for id in $SA $CA $CD; do
	mkdir -p "host/run/containerd/io.containerd.runtime.v2.task/k8s.io/$id"
	echo 1 >"host/run/containerd/io.containerd.runtime.v2.task/k8s.io/$id/init.pid"
done
