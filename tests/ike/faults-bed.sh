#!/usr/bin/env bash
# Every process killed mid-transfer (issue 20, "Faults") on the product's
# bed (tests/ike/bed-lib.sh: Mobile IP + ML-IKE + ML-ESP, 20 Mbit/s cells,
# SNOOP at FA1): for each of mmlkeyd at HA, FA1 and MH and the worker at
# HA, MH and FA1, a 10 MB CN -> MH transfer runs, the process is killed with SIGKILL a
# second in and started again as docs/operations.md says (the same command
# line; at the MH the default route back on the new TUN device: mmlkeyd
# puts back its route to the FA, which went with the home address), and
#   - the transfer completes with its SHA-256 intact (TCP may retransmit);
#   - the time from the kill until data flows again (the CN's bytes_acked
#     moving, `ss -ti`) is printed, and must stay under 15 s.
# The killed daemon's pinned state carries the data plane meanwhile: the
# workers go on with the pinned CSAs and bindings, a restarted mmlkeyd
# adopts them (the HA its bindings; ML-IKE keeps what peers grant again).
# The HA's restarted mmlkeyd, its IKE state lost, initialises again by
# itself, and FA1 ends with only the new CSAs. Then the MH's wireless link
# goes down for 3 s during a transfer, with the same checks. Last, FA1
# vanishes for good: the MH moves to FA2, and the HA lets go of FA1.
# About 130 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
BYTES=$((10 * 1024 * 1024))
BOUND_MS=15000
DPD_S=2
FA_GRACE=5 # what an HA that lost its IKE SA installed at an FA goes after this

ike_suite faults
# dpd_s: the HA's liveness check, which notices an FA that vanished.
IKE_HA_EXTRA="dpd_s = $DPD_S;" IKE_FA_EXTRA="reconcile_grace = $FA_GRACE;" MIP_LIFETIME=600 ike_setup --rate 20000 || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "initialisation not complete"
# SNOOP at FA1: every transfer below passes through its cache.
bg fa1 "$BUILD/mmlworker" --role fa --node "$PREFIX-fa1" --port eth0 --port wlan0 \
	>>"$TMP/worker-fa1.log" 2>&1
sleep 0.5
ctl fa1 snoop set enabled on >/dev/null || die "mmlctl snoop set enabled on"

# The pid of NODE's worker among the processes this suite started.
worker_pid() {
	local p
	for p in "${PIDS[@]}"; do
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q -- "mmlworker .*--node $PREFIX-$1 " &&
			echo "$p" && return 0
	done
	return 1
}
# The same command line again (docs/operations.md: a supervisor restarts
# it as it was); the MH's TUN device is new, its default route goes back.
worker_restart() { # NODE
	if [[ $1 == fa1 ]]; then
		bg fa1 "$BUILD/mmlworker" --role fa --node "$PREFIX-fa1" --port eth0 --port wlan0 \
			>>"$TMP/worker-fa1.log" 2>&1
		return 0
	fi
	if [[ $1 == ha ]]; then
		local ports=("${FA_NODES[@]/#/to-}")
		bg ha "$BUILD/mmlworker" --role ha --node "$PREFIX-ha" --port eth0 \
			"${ports[@]/#/--port=}" --tun mml0 >>"$TMP/worker-ha.log" 2>&1
		return 0
	fi
	bg mh "$BUILD/mmlworker" --role mh --node "$PREFIX-mh" --port wlan0 --tun mml0 \
		--home $HOME_ADDR >>"$TMP/worker-mh.log" 2>&1
	wait_for 5 eval "ip -n '$PREFIX-mh' -o addr show dev mml0 2>/dev/null | grep -q '$HOME_ADDR'" &&
		ip -n "$PREFIX-mh" route replace default dev mml0
}
acked() { # the CN's bytes_acked of its connection to the MH (0 if none)
	x cn ss -tinH dst "$HOME_ADDR" 2>/dev/null |
		grep -o 'bytes_acked:[0-9]*' | cut -d: -f2 | sort -n | tail -1 | grep . || echo 0
}

# fault WHAT KILL RESTART: the transfer, the kill a second in, the restart.
fault() {
	local what=$1 kill_cmd=$2 restart_cmd=$3 a0 t0 ms=-1
	ike_transfer_start $BYTES
	sleep 1
	a0=$(acked)
	t0=$(date +%s%N)
	eval "$kill_cmd"
	eval "$restart_cmd" || bad "$what: restart failed"
	for _ in $(seq 300); do
		if (($(acked) > a0 + 100000)); then
			ms=$((($(date +%s%N) - t0) / 1000000))
			break
		fi
		sleep 0.05
	done
	ike_transfer_end
	if ike_sha_ok "$XFER_SENT" "$XFER_RCVD"; then ok "$what: 10 MB CN -> MH intact (${XFER_SECS} s)"; else
		bad "$what: sent $XFER_SENT, received $XFER_RCVD"; fi
	echo "faults: $what: data flowed again ${ms} ms after the kill"
	check "$what: data flowed again within $BOUND_MS ms ($ms)" test "$ms" -ge 0 -a "$ms" -le $BOUND_MS
}
kill_keyd() { # NODE
	disown "${KEYD_PID[$1]}" 2>/dev/null
	kill -9 "${KEYD_PID[$1]}"
	while kill -0 "${KEYD_PID[$1]}" 2>/dev/null; do sleep 0.02; done
}
kill_worker() { # NODE
	local p
	p=$(worker_pid "$1") || { bad "no worker of $1 found"; return; }
	disown "$p" 2>/dev/null
	kill -9 "$p"
	while kill -0 "$p" 2>/dev/null; do sleep 0.02; done
}

# The HA's mmlkeyd loses all its IKE state with the kill: the restarted
# one runs ML-IKE again with the MH by itself (no registration needed),
# and FA1 gets the keys again over a new IKE SA.
reinit_watch() { # the time the second initialisation is done, in $TMP/reinit
	(for _ in $(seq 600); do
		[[ $(n_init) -ge 2 ]] && { date +%s%N >"$TMP/reinit"; exit 0; }
		sleep 0.05
	done) &
}
t_kill=$(date +%s%N)
fault "mmlkeyd at the HA killed and restarted" "kill_keyd ha" "keyd_start ha && reinit_watch"
check "the restarted HA adopted the pinned binding" grep -q "recovered 1 bindings" "$TMP/keyd-ha.log"
check "the restarted HA ran ML-IKE with the MH again by itself" wait_for 10 test -s "$TMP/reinit"
ms=$((($(cat "$TMP/reinit" 2>/dev/null || echo "$t_kill") - t_kill) / 1000000))
echo "faults: the HA's IKE state rebuilt (initialisation done) ${ms} ms after the kill"
check "... within $BOUND_MS ms of the kill ($ms)" test "$ms" -gt 0 -a "$ms" -le $BOUND_MS
# FA1 still holds the CSAs the HA's old instance installed; the HA's new
# IKE SA supersedes the old one, and what nobody grants again goes after
# FA1's reconcile_grace (before: they stayed for ever).
check "FA1 holds zone 1 of the new CSAs, and only those, within the grace of $FA_GRACE s" \
	wait_for $((FA_GRACE + 10)) ike_fa_zone1_only fa1
check "FA1 counted the superseded IKE SA" \
	test "$(ike_json fa1 "d['reconciled']['superseded_sas']")" -ge 1
fault "mmlkeyd at FA1 killed and restarted" "kill_keyd fa1" "keyd_start fa1"
fault "mmlkeyd at the MH killed and restarted" "kill_keyd mh" "keyd_start mh"
fault "the HA's worker killed and restarted" "kill_worker ha" "worker_restart ha"
fault "the MH's worker killed and restarted" "kill_worker mh" "worker_restart mh"
# SNOOP's worker at FA1: XDP forwards everything while it is gone; the
# new one starts with an empty cache (the enable switch is pinned).
cached() { ctl fa1 -j snoop show | python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['cached'])"; }
fault "FA1's SNOOP worker killed and restarted" "kill_worker fa1" "worker_restart fa1"
c0=$(cached)
ike_transfer $((1024 * 1024))
check "the restarted SNOOP worker caches again ($c0 -> $(cached) frames)" test "$(cached)" -gt "$c0"
# The MH's wireless link down for 3 s in the middle of a transfer (a flap):
# its routes via the link go and come back with the registration that the
# link's return starts (movement detection).
fault "the MH's wireless link down for 3 s" "x mh ip link set wlan0 down" \
	"sleep 3; x mh ip link set wlan0 up"
# After it all: the chain still initialises and protects. ML-ESP keys on
# every node again (the HA re-ran ML-IKE where its state was lost).
check "afterwards MH and HA hold the same CSA pair" wait_for 20 ike_ep_keys_match
check "afterwards FA1 holds zone 1 of the HA's CSAs" wait_for 20 ike_fa_zone1_only fa1

# FA1 vanishes while it holds the visitor: its processes die, its links go
# dark, nothing comes back. The MH moves to FA2 and its traffic flows
# there; nothing waits for FA1 for ever: the HA's liveness check (dpd_s)
# gives up on it and its holder sets forget it.
fa1_holds() { # does the HA still count FA1 among the holders of a CSA?
	ctl ha -j csa list | python3 -c "import json,sys
print(any(h['fa'] == '$COA1' for c in json.load(sys.stdin) for h in c.get('holders', [])))" | grep -q True
}
check "before: the HA counts FA1 among the holders" fa1_holds
kill_keyd fa1
kill_worker fa1
x fa1 ip link set eth0 down
x fa1 ip link set wlan0 down
t0=$(date +%s%N)
"$BED" -p "$PREFIX" handoff fa2 >"$TMP/handoff.log" 2>&1
check "the MH registered through FA2" wait_registered $FA2_WL 10
check "FA2 holds zone 1 of the HA's CSAs" wait_for 10 ike_fa_zone1_only fa2
ike_transfer $BYTES
if ike_sha_ok "$XFER_SENT" "$XFER_RCVD"; then ok "FA1 gone: 10 MB CN -> MH through FA2 intact (${XFER_SECS} s)"; else
	bad "FA1 gone: sent $XFER_SENT, received $XFER_RCVD"; fi
check "the HA forgot FA1 as a holder" wait_for 20 eval '! fa1_holds'
ms=$((($(date +%s%N) - t0) / 1000000))
echo "faults: FA1 vanished: the HA let go of it ${ms} ms after"
echo "faults: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
