#!/usr/bin/env bash
# Issue 20 (multi-core): the HA's and the MH's workers with --queues 2 on
# links with 2 queues (bench/multiqueue.sh's bed, QUEUES=2, 4 s each way,
# 16 connections; the CN picks each one's queue at random, so about one
# run in 32,768 puts all on one queue and fails the HA thread check):
# ML-ESP passes both ways,
# every thread of both workers protects and opens packets (its own AF_XDP
# socket on its own queue), and no packet waits in XDP for a socket
# (ep_xdp_no_worker stays 0). WORKER_QUEUES=1 (workers on one thread)
# makes it fail. Root; about 20 s; run it under flock /tmp/mml-netns.lock.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD

SUITE=ep-multiqueue
. "$TOP/tests/lib/check.sh" # ok, bad, has, skip, summary
[[ $(id -u) -eq 0 ]] || skip "needs root"
command -v iperf3 >/dev/null || skip "no iperf3"

out=$(QUEUES=2 ROUNDS=1 DUR=4 FLOWS=16 "$TOP/bench/multiqueue.sh" "$BUILD" 2>&1)
echo "$out"

mbit() { # DIR: the run's Mbit/s
	awk -v d="$1" '$1 == "2q" && $4 == d { print int($5) }' <<<"$out"
}
for d in "CN->MH" "MH->CN"; do
	if [[ $(mbit "$d") -gt 0 ]]; then ok "ML-ESP $d over 2 queues: $(mbit "$d") Mbit/s"; else bad "ML-ESP $d over 2 queues"; fi
done
# A thread's row: protected and opened in ML-ESP, both above 0.
for node in HA MH; do
	for t in 0 1; do
		row=$(grep "^    $node worker thread $t " <<<"$out")
		if [[ $row =~ ep_encap_mlesp=([0-9]+)\ ep_deliver_mlesp=([0-9]+) ]] &&
			[[ ${BASH_REMATCH[1]} -gt 0 && ${BASH_REMATCH[2]} -gt 0 ]]; then
			ok "$node worker thread $t protects and opens ($row)"
		else
			bad "$node worker thread $t protects and opens (row: ${row:-none})"
		fi
	done
done
if grep -q "^    ep_xdp_no_worker: HA 0 MH 0$" <<<"$out"; then
	ok "no packet without a worker socket (ep_xdp_no_worker 0 at HA and MH)"
else
	bad "no packet without a worker socket: $(grep ep_xdp_no_worker <<<"$out")"
fi
summary
