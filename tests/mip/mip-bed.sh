#!/usr/bin/env bash
# Mobile IPv4 with mmlkeyd on the shared test bed: no binding or visitor is
# installed by hand, every one comes from registration.
#   1. the MH registers through FA1: HA binding and FA1 visitor in the maps;
#      10 MB CN -> MH in plaintext mode, SHA-256 equal;
#   2. handoff to FA2 in the middle of a 10 MB transfer: the MH registers
#      through FA2, the HA's binding follows, the transfer completes with
#      the same SHA-256; FA1's visitor entry goes away when it expires;
#   3. the registration messages of a capture on the MH's link decode in
#      tshark without malformed packets or expert warnings/errors;
#   4. bad input to the HA is counted and answered (or dropped) and the
#      daemon keeps serving;
#   5. kill -9 of the HA's mmlkeyd in the middle of a transfer does not stop
#      it (the maps stay pinned); the restarted daemon adopts the binding;
#   6. deregistration removes the binding, the HA's route into its TUN
#      device and the visitor.
# Runtime about 45 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/mip/mip-lib.sh"

if ! mip_can_run; then
	echo "mip-bed: skipped: $MIP_WHY"
	exit 77
fi
MIP_LIFETIME=8 # FA1's visitor must expire within the test
MB10=$((10 * 1024 * 1024))
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail
trap mip_cleanup EXIT
trap 'exit 130' INT TERM

# eventually CMD...: true once CMD succeeds within 3 s (the machine is shared).
eventually() {
	local i
	for i in $(seq 60); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
binding_coa() {
	ctl ha -j binding list | python3 -c "
import json,sys
print(' '.join(b['coa'] for b in json.load(sys.stdin) if b['home'] == '$HOME_ADDR') or 'none')"
}
has_visitor() { # FA
	ctl "$1" -j visitor list | python3 -c "
import json,sys
sys.exit(0 if any(v['home'] == '$HOME_ADDR' for v in json.load(sys.stdin)) else 1)"
}

# transfer_start / transfer_wait: 10 MB CN -> MH with mml-xfer.
port=7100
transfer_start() {
	port=$((port + 1))
	x mh timeout 90 "$BUILD/mml-xfer" recv -p $port -t 30 >"$TMP/recv.out" 2>&1 &
	RPID=$!
	x cn timeout 90 "$BUILD/mml-xfer" send -c $HOME_ADDR -p $port -n "$1" -s $port -R 5 -t 30 \
		>"$TMP/send.out" 2>&1 &
	SPID=$!
}
transfer_wait() { # sets XFER="sent received" (not in a subshell: it waits for our children)
	wait $SPID
	wait $RPID
	local s r
	s=$(grep -o 'sha256=[0-9a-f]*' "$TMP/send.out")
	r=$(grep -o 'sha256=[0-9a-f]*' "$TMP/recv.out")
	XFER="${s#sha256=} ${r#sha256=}"
	[[ -n $s && $s == "$r" ]] || cat "$TMP/send.out" "$TMP/recv.out"
}

# 20 Mbit/s on the air: a 10 MB transfer lasts about 4.5 s, long enough to
# hand off in its middle.
if ! mip_setup --rate 20000; then
	cat "$TMP"/*.log 2>/dev/null
	echo "mip-bed: setup failed"
	exit 1
fi

# ---------------------------------------------------------------- 1. FA1
check "HA binding from registration: $HOME_ADDR -> $COA1" test "$(binding_coa)" == $COA1
check "FA1 visitor from registration" has_visitor fa1
check "FA2 has no visitor" eval '! has_visitor fa2'
check "MH: host route to FA1 (route trick) and default route via FA1" eval \
	"x mh ip route show $FA1_WL/32 | grep -q 'dev wlan0' &&
	 x mh ip route show default | grep -q 'via $FA1_WL dev wlan0'"
down0=$(counter fa1 rx_down)
transfer_start $MB10
transfer_wait
same_sha "10 MB CN -> MH through FA1" "$XFER"
check "the transfer went through FA1's tunnel ($(($(counter fa1 rx_down) - down0)) packets)" \
	test $(($(counter fa1 rx_down) - down0)) -gt 5000

# ---------------------------------------------------------------- 2. handoff
x mh timeout 20 tshark -q -i wlan0 -f "udp port 434 or icmp" -w "$TMP/mip.pcap" \
	>/dev/null 2>&1 &
CAP=$!
sleep 1
down2=$(counter fa2 rx_down)
transfer_start $MB10
sleep 1.5
"$BED" -p "$PREFIX" handoff fa2 >"$TMP/handoff.log" 2>&1
check "MH registered through FA2 after the handoff" wait_registered $FA2_WL 5
check "HA binding moved: $HOME_ADDR -> $COA2" test "$(binding_coa)" == $COA2
check "FA2 visitor from registration" has_visitor fa2
check "MH: default route via FA2" eval "x mh ip route show default | grep -q 'via $FA2_WL dev wlan0'"
transfer_wait
same_sha "10 MB CN -> MH with a handoff FA1 -> FA2 in its middle" "$XFER"
check "the rest of the transfer went through FA2 ($(($(counter fa2 rx_down) - down2)) packets)" \
	test $(($(counter fa2 rx_down) - down2)) -gt 1000
prev=$(mip_json fa2 visitors '[v.get("previous_fa", "") for v in d][0]')
check "FA2 got the previous-FA extension naming FA1's care-of address ($prev)" test "$prev" == $COA1
expired=no
for _ in $(seq 110); do
	has_visitor fa1 || { expired=yes; break; }
	sleep 0.1
done
check "FA1's visitor entry expired (lifetime $MIP_LIFETIME s)" test $expired == yes
check "FA1 counted the expiry" test "$(mip_json fa1 show 'd["counters"]["visitor_expire"]')" -ge 1

# ---------------------------------------------------------------- 3. tshark
sleep 1
kill $CAP 2>/dev/null
wait $CAP 2>/dev/null
reqs=$(tshark -r "$TMP/mip.pcap" -Y "mip.type == 1" 2>/dev/null | wc -l)
reps=$(tshark -r "$TMP/mip.pcap" -Y "mip.type == 3 && mip.code == 0" 2>/dev/null | wc -l)
advs=$(tshark -r "$TMP/mip.pcap" -Y "icmp.type == 9 && icmp.mip.type == 16" 2>/dev/null | wc -l)
malformed=$(tshark -r "$TMP/mip.pcap" -V 2>/dev/null | grep -ci malformed)
# Expert info of severity warning or error (bad checksums, fields out of
# range, ...), not only the malformed-packet marker. A filter tshark
# rejects must fail the check, not count zero packets.
expert_filter='_ws.malformed || _ws.expert.severity >= warning'
if expert=$(tshark -r "$TMP/mip.pcap" -Y "$expert_filter" 2>"$TMP/tshark.err"); then
	n_expert=$(grep -c . <<<"$expert")
else
	n_expert="tshark failed: $(tail -1 "$TMP/tshark.err")"
fi
check "capture: $reqs requests, $reps accepted replies, $advs agent advertisements" \
	test "$reqs" -ge 1 -a "$reps" -ge 1 -a "$advs" -ge 1
check "capture: no malformed packet in tshark's decode" test "$malformed" -eq 0
check "capture: no expert warning or error in tshark's decode" test "$n_expert" == 0
[[ $n_expert == 0 ]] || { echo "$expert"; tshark -r "$TMP/mip.pcap" -q -z expert,warn 2>/dev/null; } | head -30

# ---------------------------------------------------------------- 4. bad input
disc0=$(mip_json ha show 'd["counters"]["discarded"]')
mal0=$(mip_json ha show 'd["counters"]["malformed"]')
# truncated; fixed part + unknown non-skippable extension; wrong type
x cn python3 - $HA_ADDR <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fixed = bytes([1, 2, 0, 16, 10, 1, 0, 10, 10, 1, 0, 1, 10, 0, 3, 2, 0, 0, 0, 1, 0, 0, 0, 1])
for msg in (b"trunc", fixed + bytes([5, 2]) + b"xx", bytes([7]) * 30):
    s.sendto(msg, (sys.argv[1], 434))
PY
three() { test $(($(mip_json ha show 'd["counters"]["malformed"]') - mal0)) -eq 3; }
check "HA counted 3 malformed messages" eventually three
check "HA discarded the 2 it could not answer" \
	test $(($(mip_json ha show 'd["counters"]["discarded"]') - disc0)) -eq 2
check "HA answered the other with 134" \
	test "$(mip_json ha show 'd["reply_codes_sent"].get("134", 0)')" -ge 1
ctl mh mip register >/dev/null
check "HA still serves: the MH registers again" wait_registered $FA2_WL 3

# ---------------------------------------------------------------- 5. restart
# A fresh registration first: the binding (lifetime $MIP_LIFETIME s) must
# still be valid when the daemon comes back, however slow the machine.
ctl mh mip register >/dev/null
wait_registered $FA2_WL 3
transfer_start $MB10
sleep 1
disown "${KEYD_PID[ha]}" # no job report for the kill
kill -9 "${KEYD_PID[ha]}"
while kill -0 "${KEYD_PID[ha]}" 2>/dev/null; do sleep 0.05; done
sleep 1 # the data plane alone, no daemon
keyd_start ha
transfer_wait
same_sha "10 MB CN -> MH across the kill -9 and restart of the HA's mmlkeyd" "$XFER"
check "the restarted HA adopted the pinned binding ($(grep -o 'recovered [0-9]* bindings' "$TMP/keyd-ha.log" | tail -1))" \
	grep -q "recovered 1 bindings" "$TMP/keyd-ha.log"
check "the restarted HA serves it: $(mip_json ha bindings '[b["coa"] for b in d]')" \
	test "$(mip_json ha bindings '[b["coa"] for b in d][0]')" == $COA2
ctl mh mip register >/dev/null
fresh() { test "$(mip_json ha bindings '[str(b["recovered"]) for b in d][0]')" == False; }
check "the MH re-registers with the restarted HA" eventually fresh

# ---------------------------------------------------------------- 6. deregistration
# The HA's worker routes every bound home address into its TUN device; the
# route must go with the binding (make soak's synthetic mobiles piled them up).
tun_route() { [[ -n $(ip -n "$PREFIX-ha" route show "$HOME_ADDR/32" dev mml0 2>/dev/null) ]]; }
check "bound: the HA's worker routes the home address into mml0" tun_route
ctl mh mip deregister >/dev/null
unbound() { test "$(binding_coa)" == none; }
check "deregistration: no binding at the HA" eventually unbound
check "deregistration: no route into the HA's mml0 for the home address" eventually eval '! tun_route'
check "deregistration: no visitor at FA2" eventually eval '! has_visitor fa2'
sleep 1.2 # a periodic advertisement later
check "deregistered stays deregistered: $(mip_json mh show 'd["state"]')" \
	test "$(mip_json mh show 'd["state"]')" == idle
check "no mmlkeyd died" eval "kill -0 ${KEYD_PID[fa1]} ${KEYD_PID[fa2]} ${KEYD_PID[mh]} ${KEYD_PID[ha]}"

echo "mip-bed: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
